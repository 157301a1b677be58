//! Identifiers and secrets: random, prefixed, unguessable.

use rand::Rng;
use rand::distr::Alphanumeric;

/// `len` random characters from `[A-Za-z0-9]` (5.95 bits each) from the OS-seeded CSPRNG.
pub fn random_alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// How many random alphanumerics follow `cs_` in a checkout-session id (142 bits).
pub const SESSION_ID_RANDOM_CHARS: usize = 24;

/// A new checkout-session id: `cs_` and [`SESSION_ID_RANDOM_CHARS`] random alphanumerics.
pub fn new_session_id() -> String {
    format!("cs_{}", random_alphanumeric(SESSION_ID_RANDOM_CHARS))
}

/// A new merchant id.
pub fn new_merchant_id() -> String {
    format!("mer_{}", random_alphanumeric(20))
}

/// Letters and digits a payer cannot confuse when reading them aloud (no 0/O, 1/I/L, U).
const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A short payer-facing code such as `K7QM-2XWD`; not unique and never used as a key.
pub fn new_reference() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for position in 0..8 {
        if position == 4 {
            code.push('-');
        }
        let index = rng.random_range(0..REFERENCE_ALPHABET.len());
        code.push(char::from(REFERENCE_ALPHABET[index]));
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_carry_more_than_122_random_bits() {
        let id = new_session_id();
        let random = id.strip_prefix("cs_").expect("prefixed");
        assert!(random.len() as f64 * 62f64.log2() >= 122.0);
        assert_ne!(id, new_session_id());
    }

    #[test]
    fn references_are_two_groups_of_four_readable_characters() {
        let reference = new_reference();
        assert_eq!(reference.len(), 9);
        assert_eq!(&reference[4..5], "-");
        assert!(
            reference
                .bytes()
                .filter(|b| *b != b'-')
                .all(|b| REFERENCE_ALPHABET.contains(&b))
        );
    }
}
