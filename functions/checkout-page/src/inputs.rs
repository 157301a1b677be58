//! The inputs the page collects besides payment (SPEC §20): phone, billing address and the
//! merchant's own fields, labelled in the payer's language, filled with what the payer typed and
//! marked where they were refused.

use checkout_api::service::hosted_checkout::PageModel;
use checkout_domain::values::{CustomField, FieldType, Requirement};

use crate::i18n::Texts;

/// One input, as the template shows it.
pub(crate) struct Input {
    /// The form name, e.g. `billingAddress.line1`.
    pub(crate) name: String,
    /// The id part after the form's prefix.
    pub(crate) id: String,
    pub(crate) label: String,
    /// `text`, `tel`, `numeric`, `select` or `checkbox`.
    pub(crate) kind: &'static str,
    pub(crate) value: String,
    /// A dropdown's `(value, label, selected)`.
    pub(crate) options: Vec<(String, String, bool)>,
    pub(crate) required: bool,
    pub(crate) error: Option<String>,
    pub(crate) autocomplete: &'static str,
}

/// The inputs `model`'s session collects, in `tr`'s language.
pub(crate) fn inputs(model: &PageModel, tr: Texts) -> Vec<Input> {
    let Some(collect) = &model.session.collect else {
        return Vec::new();
    };
    let form = Form { model, tr };
    let mut inputs = Vec::new();
    if let Some(phone) = collect.phone {
        inputs.push(form.phone(phone == Requirement::Required));
    }
    if let Some(address) = collect.billing_address {
        inputs.extend(form.billing_address(address == Requirement::Required));
    }
    inputs.extend(collect.custom_fields.iter().map(|field| form.custom(field)));
    if collect.terms_of_service.is_some() {
        inputs.push(form.input("termsOfService", String::new(), "checkbox", true, "off"));
    }
    inputs
}

/// The page's form as it was last sent, in the payer's language.
struct Form<'a> {
    model: &'a PageModel,
    tr: Texts,
}

impl Form<'_> {
    fn input(
        &self,
        name: &str,
        label: String,
        kind: &'static str,
        required: bool,
        autocomplete: &'static str,
    ) -> Input {
        Input {
            name: name.to_owned(),
            id: name.replace('.', "-"),
            label,
            kind,
            value: checkout_api::http::first_value(&self.model.kept, name).to_owned(),
            options: Vec::new(),
            required,
            error: self.model.field_errors.get(name).map(|id| self.tr.t(id)),
            autocomplete,
        }
    }

    fn phone(&self, required: bool) -> Input {
        let tr = self.tr;
        let label = if required {
            tr.t("phone")
        } else {
            tr.t1("optional-field", "label", &tr.t("phone"))
        };
        self.input("phone", label, "tel", required, "tel")
    }

    fn billing_address(&self, required: bool) -> Vec<Input> {
        let tr = self.tr;
        let line1 = tr.t(if required {
            "billing-address"
        } else {
            "billing-address-optional"
        });
        [
            ("line1", line1, required, "billing address-line1"),
            (
                "line2",
                tr.t("address-line2"),
                false,
                "billing address-line2",
            ),
            ("city", tr.t("city"), required, "billing address-level2"),
            (
                "postalCode",
                tr.t("postal-code"),
                required,
                "billing postal-code",
            ),
            ("country", tr.t("country"), required, "billing country"),
        ]
        .into_iter()
        .map(|(name, label, required, autocomplete)| {
            let name = format!("billingAddress.{name}");
            self.input(&name, label, "text", required, autocomplete)
        })
        .collect()
    }

    fn custom(&self, field: &CustomField) -> Input {
        let name = format!("customFields.{}", field.key);
        let label = if field.optional {
            self.tr.t1("optional-field", "label", &field.label)
        } else {
            field.label.clone()
        };
        let kind = match field.kind {
            FieldType::Text => "text",
            FieldType::Numeric => "numeric",
            FieldType::Dropdown => "select",
        };
        let mut custom = self.input(&name, label, kind, !field.optional, "off");
        custom.options = field
            .options
            .iter()
            .map(|o| (o.value.clone(), o.label.clone(), o.value == custom.value))
            .collect();
        custom
    }
}
