//! The table, created from its definition in `template.yaml` (one source of truth for the
//! deployed and the local table).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::AdminError;

/// The `Properties` of the template's `AWS::DynamoDB::Table`, as far as creating it needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    attribute_definitions: Vec<AttributeSpec>,
    key_schema: Vec<KeySpec>,
    #[serde(default)]
    global_secondary_indexes: Vec<IndexSpec>,
    time_to_live_specification: Option<TtlSpec>,
    stream_specification: Option<StreamSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeSpec {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeySpec {
    attribute_name: String,
    key_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexSpec {
    index_name: String,
    key_schema: Vec<KeySpec>,
    projection: ProjectionSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProjectionSpec {
    projection_type: String,
    #[serde(default)]
    non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TtlSpec {
    attribute_name: String,
    enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamSpec {
    stream_view_type: String,
}

/// What one global secondary index holds: its key attributes, and the attributes it projects
/// besides the table's and its own keys (`None`: every attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexShape {
    /// The index's name.
    pub name: String,
    /// Its partition key attribute, then its sort key attribute if it has one.
    pub keys: Vec<String>,
    /// The other attributes it projects; `None` for all of them.
    pub projected: Option<Vec<String>>,
}

/// The template of this repository, compiled in so the binary works from any directory.
pub const TEMPLATE: &str = include_str!("../../../template.yaml");

impl TableDefinition {
    /// Reads the one `AWS::DynamoDB::Table` resource of a SAM/CloudFormation template.
    pub fn from_template(yaml: &str) -> Result<Self, AdminError> {
        let template: Value =
            serde_yaml_ng::from_str(yaml).map_err(|e| AdminError::Template(e.to_string()))?;
        let resources = template
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| AdminError::Template("no Resources".into()))?;
        let mut tables = resources
            .values()
            .filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"));
        let table = tables
            .next()
            .ok_or_else(|| AdminError::Template("no AWS::DynamoDB::Table resource".into()))?;
        if tables.next().is_some() {
            return Err(AdminError::Template("more than one table".into()));
        }
        let properties = table
            .get("Properties")
            .cloned()
            .ok_or_else(|| AdminError::Template("the table has no Properties".into()))?;
        serde_yaml_ng::from_value(properties).map_err(|e| AdminError::Template(e.to_string()))
    }

    /// The table's key attributes (partition, then sort).
    pub fn key_attributes(&self) -> Vec<String> {
        self.key_schema
            .iter()
            .map(|key| key.attribute_name.clone())
            .collect()
    }

    /// What each global secondary index holds.
    pub fn indexes(&self) -> Vec<IndexShape> {
        self.global_secondary_indexes
            .iter()
            .map(|index| IndexShape {
                name: index.index_name.clone(),
                keys: index
                    .key_schema
                    .iter()
                    .map(|key| key.attribute_name.clone())
                    .collect(),
                projected: match index.projection.projection_type.as_str() {
                    "ALL" => None,
                    _ => Some(index.projection.non_key_attributes.clone()),
                },
            })
            .collect()
    }

    /// Creates table `name` unless it exists; returns whether it was created.
    pub async fn create(&self, client: &Client, name: &str) -> Result<bool, AdminError> {
        let storage = |e: String| AdminError::Storage(e);
        let exists = client.describe_table().table_name(name).send().await;
        match exists {
            Ok(_) => return Ok(false),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(err) => return Err(storage(DisplayErrorContext(&err).to_string())),
        }
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(
                self.attribute_definitions
                    .iter()
                    .map(|a| {
                        AttributeDefinition::builder()
                            .attribute_name(&a.attribute_name)
                            .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                            .build()
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|e| storage(e.to_string()))?,
            ))
            .set_key_schema(Some(key_schema(&self.key_schema)?));
        for index in &self.global_secondary_indexes {
            request = request.global_secondary_indexes(index.definition()?);
        }
        if let Some(stream) = &self.stream_specification {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                    .build()
                    .map_err(|e| storage(e.to_string()))?,
            );
        }
        match request.send().await {
            Ok(_) => {}
            // Another process created it between our check and our create.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                return Ok(false);
            }
            Err(err) => return Err(storage(DisplayErrorContext(&err).to_string())),
        }
        if let Some(ttl) = self
            .time_to_live_specification
            .as_ref()
            .filter(|t| t.enabled)
        {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(&ttl.attribute_name)
                        .enabled(true)
                        .build()
                        .map_err(|e| storage(e.to_string()))?,
                )
                .send()
                .await
                .map_err(|e| storage(DisplayErrorContext(&e).to_string()))?;
        }
        Ok(true)
    }
}

impl IndexSpec {
    /// The index as `CreateTable` takes it.
    fn definition(&self) -> Result<GlobalSecondaryIndex, AdminError> {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(
                self.projection.projection_type.as_str(),
            ))
            .set_non_key_attributes(
                (!self.projection.non_key_attributes.is_empty())
                    .then(|| self.projection.non_key_attributes.clone()),
            )
            .build();
        GlobalSecondaryIndex::builder()
            .index_name(&self.index_name)
            .set_key_schema(Some(key_schema(&self.key_schema)?))
            .projection(projection)
            .build()
            .map_err(|e| AdminError::Storage(e.to_string()))
    }
}

fn key_schema(keys: &[KeySpec]) -> Result<Vec<KeySchemaElement>, AdminError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| AdminError::Storage(e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_template_defines_the_table_and_its_indexes() {
        let table = TableDefinition::from_template(TEMPLATE).expect("a table");
        let names: Vec<_> = table
            .global_secondary_indexes
            .iter()
            .map(|i| i.index_name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                checkout_store::index::BY_MERCHANT,
                checkout_store::index::BY_GROUP,
                checkout_store::index::DUE_BY_TIME,
                checkout_store::index::BY_REFERENCE,
                checkout_store::index::BY_EMAIL,
            ]
        );
        assert_eq!(
            table
                .time_to_live_specification
                .map(|t| t.attribute_name)
                .as_deref(),
            Some("ttl")
        );
        assert_eq!(
            table
                .stream_specification
                .map(|s| s.stream_view_type)
                .as_deref(),
            Some("NEW_AND_OLD_IMAGES")
        );
    }

    #[test]
    fn a_template_without_a_table_is_an_error() {
        let err = TableDefinition::from_template("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n");
        assert!(matches!(err, Err(AdminError::Template(_))));
    }
}
