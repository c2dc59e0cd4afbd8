//! Identifiers and secrets in the Backendless form: upper-case UUIDs drawn from the OS CSPRNG.

use blake2::{Blake2s256, Digest};

/// The stored form of a user-token: a BLAKE2s-256 digest, so the database file never holds a usable token.
pub type TokenDigest = [u8; 32];

/// The OS random source failed; nothing sensible can be issued without it.
#[derive(Debug, thiserror::Error)]
#[error("the OS random number generator failed: {0}")]
pub struct RandomnessError(String);

/// A fresh random version-4 UUID in upper case, e.g. `2631AE5A-8F3C-4B7E-9D2A-0C1E5F6A7B8C`
/// (objectIds).
pub fn new_uuid() -> Result<String, RandomnessError> {
    let mut bytes = random_bytes::<16>()?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    Ok(uuid_form(&bytes))
}

/// A fresh user-token: 128 random bits in the upper-case UUID form clients expect. Unlike
/// [`new_uuid`] no bits are spent on a version and variant, so all 128 are secret.
pub fn new_token() -> Result<String, RandomnessError> {
    Ok(uuid_form(&random_bytes::<16>()?))
}

/// A fresh single-use secret for a URL (confirmation codes, OAuth codes, states and access
/// tokens): 256 random bits as 64 lower-case hex digits, nothing to escape anywhere.
pub fn new_secret() -> Result<String, RandomnessError> {
    let bytes = random_bytes::<32>()?;
    let mut text = String::with_capacity(64);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    Ok(text)
}

/// `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` in upper-case hex.
fn uuid_form(bytes: &[u8; 16]) -> String {
    let mut text = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02X}"));
    }
    text
}

/// Fresh random bytes, e.g. for a password salt.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomnessError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| RandomnessError(error.to_string()))?;
    Ok(bytes)
}

/// Equality of two secrets (tokens, keys) that takes as long wherever the first difference is.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// The digest under which a token is stored and looked up.
pub fn token_digest(token: &str) -> TokenDigest {
    Blake2s256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_equal_only_when_every_byte_and_the_length_are() {
        assert!(constant_time_eq(b"TOKEN", b"TOKEN"));
        assert!(!constant_time_eq(b"TOKEN", b"TOKEn"));
        assert!(!constant_time_eq(b"TOKEN", b"TOKENS"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn token_is_upper_case_uuid_form_with_no_fixed_bits() {
        let tokens: Vec<String> = (0..64).map(|_| new_token().unwrap()).collect();
        for token in &tokens {
            let groups: Vec<&str> = token.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                vec![8, 4, 4, 4, 12]
            );
            assert!(token
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('A'..='F').contains(&c)));
        }
        // With 64 tokens, a version nibble fixed at '4' would show; random ones vary.
        let version_digits: std::collections::HashSet<char> =
            tokens.iter().filter_map(|t| t.chars().nth(14)).collect();
        assert!(
            version_digits.len() > 1,
            "the version position is not random: {version_digits:?}"
        );
    }

    #[test]
    fn uuid_is_upper_case_v4_and_unique() {
        let first = new_uuid().unwrap();
        let second = new_uuid().unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), 36);
        assert_eq!(first, first.to_uppercase());
        let groups: Vec<&str> = first.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(
            groups[3].chars().next(),
            Some('8' | '9' | 'A' | 'B')
        ));
    }

    #[test]
    fn digest_depends_on_token() {
        assert_ne!(token_digest("A"), token_digest("B"));
        assert_eq!(token_digest("A"), token_digest("A"));
    }
}
