//! Webhook signing secrets in rotation: a rotated-away secret keeps signing beside the new one
//! until its overlap ends, so that receivers have time to switch.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// A secret a rotation replaced, still signing deliveries until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetiringSecret {
    /// `whsec_…`.
    pub secret: String,
    /// When it stops signing.
    pub expires_at: Timestamp,
}

/// Most replaced secrets signing beside the current one: each adds a signature to every
/// delivery, and five rotations inside one overlap are no longer a double click.
pub const MAX_RETIRING_SECRETS: usize = 4;

/// A rotation refused because [`MAX_RETIRING_SECRETS`] would be signing beside the new secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManySecrets;

/// The secrets of `retiring` that still sign at `now`, in their order.
pub fn still_signing(retiring: &[RetiringSecret], now: Timestamp) -> Vec<RetiringSecret> {
    retiring
        .iter()
        .filter(|r| now < r.expires_at)
        .cloned()
        .collect()
}

/// The secrets signing beside a new one once `current` is replaced at `now`: those of `live`
/// (still signing, oldest first), and `current` for `overlap` unless that is none.
pub fn retire(
    mut live: Vec<RetiringSecret>,
    current: &str,
    overlap: time::Duration,
    now: Timestamp,
) -> Result<Vec<RetiringSecret>, TooManySecrets> {
    if overlap > time::Duration::ZERO {
        live.push(RetiringSecret {
            secret: current.to_owned(),
            expires_at: now.plus(overlap),
        });
    }
    if live.len() > MAX_RETIRING_SECRETS {
        return Err(TooManySecrets);
    }
    Ok(live)
}

/// The secrets a delivery at `now` is signed with: `current`, and each of `retiring` whose
/// overlap lasts.
pub fn signing<'a>(
    current: &'a str,
    retiring: &'a [RetiringSecret],
    now: Timestamp,
) -> Vec<&'a str> {
    let mut secrets = vec![current];
    secrets.extend(
        retiring
            .iter()
            .filter(|r| now < r.expires_at)
            .map(|r| r.secret.as_str()),
    );
    secrets
}
