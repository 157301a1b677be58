//! Webhook endpoints (SPEC §18): where a merchant's events go, which of them, signed with which
//! secrets, and whether the endpoint is still worth calling.

use serde::{Deserialize, Serialize};

use crate::event::EventType;
use crate::ids::{MerchantId, WebhookEndpointId};
use crate::merchant::new_webhook_secret;
use crate::money::Invalid;
use crate::signing_secret::{RetiringSecret, TooManySecrets, retire, signing, still_signing};
use crate::timestamp::Timestamp;
use crate::values::HttpUrl;

/// Endpoints one merchant may have.
pub const MAX_ENDPOINTS: usize = 16;
/// The overlap of a rotation that names none.
pub const DEFAULT_SECRET_OVERLAP: time::Duration = time::Duration::hours(24);
/// How long an endpoint may fail every delivery before it is disabled.
pub const FAILING_LIMIT: time::Duration = time::Duration::days(3);
/// Longest description.
pub const DESCRIPTION_MAX: usize = 500;

/// Which events an endpoint receives: `["*"]` or a list of types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    /// Every event type, those added later too.
    All,
    /// Only these types, in the order given, without repeats.
    Only(Vec<EventType>),
}

impl EventFilter {
    /// Parses the `enabledEvents` array: `["*"]`, or one or more event types a merchant can
    /// subscribe to (the endpoint test event goes to the tested endpoint alone).
    pub fn parse(names: &[String]) -> Result<Self, Invalid> {
        if names.is_empty() {
            return Err(Invalid::new(
                "invalid_enabled_events",
                "must name at least one event type, or \"*\" for all",
            ));
        }
        if names.iter().any(|name| name == "*") {
            return if names.len() == 1 {
                Ok(Self::All)
            } else {
                Err(Invalid::new(
                    "invalid_enabled_events",
                    "\"*\" already means every type and stands alone",
                ))
            };
        }
        let mut kinds = Vec::new();
        for name in names {
            match EventType::parse(name).filter(|kind| kind.is_subscribable()) {
                Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
                Some(_) => {}
                None => {
                    return Err(Invalid::new(
                        "invalid_enabled_events",
                        format!("{name:?} is not an event type"),
                    ));
                }
            }
        }
        Ok(Self::Only(kinds))
    }

    /// Whether an event of `kind` passes.
    pub fn admits(&self, kind: EventType) -> bool {
        match self {
            Self::All => kind.is_subscribable(),
            Self::Only(kinds) => kinds.contains(&kind),
        }
    }

    /// The filter as the API and the table spell it.
    pub fn names(&self) -> Vec<&'static str> {
        match self {
            Self::All => vec!["*"],
            Self::Only(kinds) => kinds.iter().map(|kind| kind.as_str()).collect(),
        }
    }
}

impl Serialize for EventFilter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EventFilter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        Self::parse(&names).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// Whether an endpoint is called.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum EndpointStatus {
    /// Receives its events.
    #[default]
    Enabled,
    /// Receives nothing until enabled again (by the merchant, or after a `410 Gone` or three days
    /// of failures by the dispatcher); its events stay listable and redeliverable.
    Disabled,
}

impl EndpointStatus {
    /// Parses `enabled` or `disabled`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "enabled" => Ok(Self::Enabled),
            "disabled" => Ok(Self::Disabled),
            _ => Err(Invalid::new(
                "invalid_status",
                "must be \"enabled\" or \"disabled\"",
            )),
        }
    }
}

/// A merchant's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    /// `we_…`.
    pub id: WebhookEndpointId,
    /// Its merchant.
    pub merchant_id: MerchantId,
    /// Where deliveries are POSTed.
    pub url: HttpUrl,
    /// Which events it receives.
    pub enabled_events: EventFilter,
    /// The merchant's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is called.
    pub status: EndpointStatus,
    /// Why the dispatcher disabled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// `whsec_…`: every delivery is signed with it.
    pub secret: String,
    /// The secret before the last rotation, still signing deliveries until
    /// `previous_secret_expires_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<String>,
    /// When the previous secret stops signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_expires_at: Option<Timestamp>,
    /// Secrets replaced before the previous one whose overlap has not ended yet (a second
    /// rotation inside the first one's overlap), each signing until its own end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub older_secrets: Vec<RetiringSecret>,
    /// The first failed attempt since the last delivered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<Timestamp>,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Bumped by every change; a change is written only over the revision it was made from.
    #[serde(default)]
    pub revision: u32,
}

impl WebhookEndpoint {
    /// A new enabled endpoint with a fresh secret.
    pub fn new(
        merchant_id: MerchantId,
        url: HttpUrl,
        enabled_events: EventFilter,
        description: Option<String>,
        now: Timestamp,
    ) -> Self {
        Self {
            id: WebhookEndpointId::generate(),
            merchant_id,
            url,
            enabled_events,
            description,
            status: EndpointStatus::Enabled,
            disabled_reason: None,
            secret: new_webhook_secret(),
            previous_secret: None,
            previous_secret_expires_at: None,
            older_secrets: Vec::new(),
            failing_since: None,
            created_at: now,
            revision: 0,
        }
    }

    /// The endpoint a stage-one merchant's single webhook URL becomes: every event, signed with
    /// the secret its receiver already verifies.
    pub fn migrated(merchant_id: MerchantId, url: HttpUrl, secret: String, now: Timestamp) -> Self {
        Self {
            description: Some("The account's webhook URL before endpoints".to_owned()),
            secret,
            ..Self::new(merchant_id, url, EventFilter::All, None, now)
        }
    }

    /// Whether an event of `kind` is sent here without being asked for.
    pub fn receives(&self, kind: EventType) -> bool {
        self.status == EndpointStatus::Enabled && self.enabled_events.admits(kind)
    }

    /// The secrets a delivery at `now` is signed with: the current one, and every replaced one
    /// whose overlap lasts.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        let mut secrets = signing(&self.secret, &self.older_secrets, now);
        if let (Some(previous), Some(until)) =
            (&self.previous_secret, self.previous_secret_expires_at)
            && now < until
        {
            secrets.insert(1, previous);
        }
        secrets
    }

    /// When the last replaced secret still signing at `now` stops, if one is.
    pub fn rotation_ends_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.retiring(now).iter().map(|r| r.expires_at).max()
    }

    /// Replaces the secret; the old one keeps signing for `overlap` (none: it stops at once),
    /// and every secret replaced before keeps signing until its own overlap ends, however soon
    /// the rotations follow one another. Refused, changing nothing, when
    /// [`crate::signing_secret::MAX_RETIRING_SECRETS`] would then be signing beside the new one.
    pub fn rotate_secret(
        &mut self,
        overlap: time::Duration,
        now: Timestamp,
    ) -> Result<(), TooManySecrets> {
        let mut retiring = retire(self.retiring(now), &self.secret, overlap, now)?;
        self.secret = new_webhook_secret();
        let newest = retiring.pop();
        (self.previous_secret, self.previous_secret_expires_at) = match newest {
            Some(newest) => (Some(newest.secret), Some(newest.expires_at)),
            None => (None, None),
        };
        self.older_secrets = retiring;
        Ok(())
    }

    /// Every replaced secret still signing at `now`, the most recently replaced last.
    fn retiring(&self, now: Timestamp) -> Vec<RetiringSecret> {
        let mut retiring = still_signing(&self.older_secrets, now);
        if let (Some(secret), Some(expires_at)) =
            (&self.previous_secret, self.previous_secret_expires_at)
            && now < expires_at
        {
            retiring.push(RetiringSecret {
                secret: secret.clone(),
                expires_at,
            });
        }
        retiring
    }

    /// Enables or disables it at the merchant's word; enabling forgets why it was disabled and
    /// how long it had been failing.
    pub fn set_status(&mut self, status: EndpointStatus) {
        self.status = status;
        if status == EndpointStatus::Enabled {
            self.disabled_reason = None;
            self.failing_since = None;
        }
    }

    /// Takes in how an attempt made at `at` went; returns whether anything changed.
    pub fn observe(&mut self, delivered: bool, gone: bool, at: Timestamp) -> bool {
        if delivered {
            return self.failing_since.take().is_some();
        }
        if self.status == EndpointStatus::Disabled {
            return false;
        }
        if gone {
            self.disable(format!(
                "the endpoint answered 410 Gone at {at}; enable it again once it accepts events"
            ));
            return true;
        }
        let since = *self.failing_since.get_or_insert(at);
        if at.since(since) >= FAILING_LIMIT {
            self.disable(format!(
                "every delivery failed from {since} to {at}; enable it again once it accepts events"
            ));
        }
        true
    }

    fn disable(&mut self, reason: String) {
        self.status = EndpointStatus::Disabled;
        self.disabled_reason = Some(reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing_secret::MAX_RETIRING_SECRETS;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn endpoint(now: Timestamp) -> WebhookEndpoint {
        let url = HttpUrl::parse("https://hooks.example/in").expect("a URL");
        WebhookEndpoint::new(MerchantId::generate(), url, EventFilter::All, None, now)
    }

    #[test]
    fn filters_are_star_alone_or_known_subscribable_types() {
        assert_eq!(EventFilter::parse(&names(&["*"])), Ok(EventFilter::All));
        let only = EventFilter::parse(&names(&[
            "checkout.session.completed",
            "refund.created",
            "checkout.session.completed",
        ]))
        .expect("valid");
        assert_eq!(
            only.names(),
            vec!["checkout.session.completed", "refund.created"]
        );
        assert!(only.admits(EventType::Completed));
        assert!(!only.admits(EventType::Expired));
        for bad in [
            &[][..],
            &["*", "refund.created"][..],
            &["checkout.session.paid"][..],
            &["webhook_endpoint.test"][..],
        ] {
            assert!(EventFilter::parse(&names(bad)).is_err(), "{bad:?}");
        }
        assert!(!EventFilter::All.admits(EventType::EndpointTest));
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one_until_its_overlap_ends() {
        let now = Timestamp::from_unix_seconds(1_800_000_000).expect("a time");
        let mut endpoint = endpoint(now);
        let old = endpoint.secret.clone();
        endpoint
            .rotate_secret(time::Duration::hours(24), now)
            .expect("rotated");
        assert_ne!(endpoint.secret, old);
        assert_eq!(
            endpoint.signing_secrets(now.plus(time::Duration::hours(23))),
            vec![endpoint.secret.as_str(), old.as_str()]
        );
        assert_eq!(
            endpoint.signing_secrets(now.plus(time::Duration::hours(24))),
            vec![endpoint.secret.as_str()]
        );
        endpoint
            .rotate_secret(time::Duration::ZERO, now.plus(time::Duration::hours(25)))
            .expect("rotated");
        assert_eq!(
            endpoint
                .signing_secrets(now.plus(time::Duration::hours(25)))
                .len(),
            1
        );
    }

    #[test]
    fn every_secret_rotated_away_keeps_signing_until_its_own_overlap_ends() {
        let now = Timestamp::from_unix_seconds(1_800_000_000).expect("a time");
        let mut endpoint = endpoint(now);
        let first = endpoint.secret.clone();
        let day = time::Duration::hours(24);
        endpoint.rotate_secret(day, now).expect("rotated");
        let second = endpoint.secret.clone();
        let later = now.plus(time::Duration::seconds(1));
        endpoint.rotate_secret(day, later).expect("rotated again");
        let signing = endpoint.signing_secrets(later);
        assert_eq!(signing.len(), 3);
        assert!(signing.contains(&first.as_str()) && signing.contains(&second.as_str()));
        assert_eq!(endpoint.rotation_ends_at(later), Some(later.plus(day)));
        let after_first = now.plus(day);
        assert!(
            !endpoint
                .signing_secrets(after_first)
                .contains(&first.as_str())
        );
        assert!(
            endpoint
                .signing_secrets(after_first)
                .contains(&second.as_str())
        );

        for _ in 0..2 {
            endpoint
                .rotate_secret(day, later)
                .expect("within the limit");
        }
        let before = endpoint.clone();
        assert_eq!(endpoint.rotate_secret(day, later), Err(TooManySecrets));
        assert_eq!(endpoint, before, "a refused rotation changes nothing");
        endpoint
            .rotate_secret(time::Duration::ZERO, later)
            .expect("an immediate rotation adds no signature");
        assert_eq!(
            endpoint.signing_secrets(later).len(),
            1 + MAX_RETIRING_SECRETS
        );
    }

    #[test]
    fn gone_disables_at_once_and_three_days_of_failures_disable_with_a_reason() {
        let now = Timestamp::from_unix_seconds(1_800_000_000).expect("a time");
        let mut gone = endpoint(now);
        assert!(gone.observe(false, true, now));
        assert_eq!(gone.status, EndpointStatus::Disabled);
        assert!(
            gone.disabled_reason
                .as_deref()
                .is_some_and(|r| r.contains("410"))
        );

        let mut failing = endpoint(now);
        failing.observe(false, false, now);
        failing.observe(false, false, now.plus(time::Duration::days(2)));
        assert_eq!(failing.status, EndpointStatus::Enabled);
        assert!(failing.observe(true, false, now.plus(time::Duration::days(2))));
        failing.observe(false, false, now.plus(time::Duration::days(3)));
        assert_eq!(
            failing.status,
            EndpointStatus::Enabled,
            "a success restarts the clock"
        );
        failing.observe(false, false, now.plus(time::Duration::days(6)));
        assert_eq!(failing.status, EndpointStatus::Disabled);
        failing.set_status(EndpointStatus::Enabled);
        assert_eq!(
            (failing.disabled_reason, failing.failing_since),
            (None, None)
        );
    }
}
