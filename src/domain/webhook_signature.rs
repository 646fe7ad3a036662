//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): an
//! endpoint's secret and the `webhook-signature` header made with it.
//!
//! The secret is `whsec_` followed by the base64 of 24 to 64 random bytes;
//! the signature is `v1,` and the base64 of the HMAC-SHA256, keyed with the
//! secret's decoded bytes, of `{webhook-id}.{webhook-timestamp}.{body}`. Any
//! Standard Webhooks library verifies it. Pure: the random bytes come from
//! the caller.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// What every secret starts with.
pub const PREFIX: &str = "whsec_";
/// The bytes of a secret whygo makes (the specification allows 24 to 64).
pub const SECRET_BYTES: usize = 32;
const MIN_BYTES: usize = 24;
const MAX_BYTES: usize = 64;

/// An endpoint's signing secret. Its `Debug` hides the key, so a secret
/// logged by mistake shows nothing.
#[derive(Clone)]
pub struct Secret {
    key: Vec<u8>,
    /// Keyed once: every signature starts from a clone of it.
    mac: Hmac<Sha256>,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.key == other.key
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(whsec_…)")
    }
}

/// Why a stored secret does not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret starts with whsec_")]
    Prefix,
    #[error("a webhook secret is base64 after whsec_")]
    Base64,
    #[error("a webhook secret holds {MIN_BYTES} to {MAX_BYTES} bytes, not {0}")]
    Length(usize),
}

impl Secret {
    /// A secret of these (random) bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Secret, SecretError> {
        if !(MIN_BYTES..=MAX_BYTES).contains(&key.len()) {
            return Err(SecretError::Length(key.len()));
        }
        let mac =
            <Hmac<Sha256>>::new_from_slice(key).map_err(|_| SecretError::Length(key.len()))?;
        Ok(Secret {
            key: key.to_vec(),
            mac,
        })
    }

    /// Reads `whsec_…` as stored and shown.
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let b64 = text.strip_prefix(PREFIX).ok_or(SecretError::Prefix)?;
        let key = STANDARD.decode(b64).map_err(|_| SecretError::Base64)?;
        Secret::from_bytes(&key)
    }

    /// `whsec_…`: what is stored, and shown once to the admin.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// The `webhook-signature` header of a message: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let sig = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(sig))
    }

    /// The HMAC of `{id}.{timestamp}.{body}`, not yet finalized.
    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac
    }

    /// Whether `header` (space-separated `v1,<base64>` signatures, as a
    /// receiver gets it) holds this message's signature. Compared in
    /// constant time. The receiver's side, for whygo's own tests and docs;
    /// the app only signs.
    pub fn verify(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        let mac = self.mac(id, timestamp, body);
        header
            .split(' ')
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|s| STANDARD.decode(s).ok())
            .any(|sig| mac.clone().verify_slice(&sig).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks reference libraries.
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TS: i64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;

    #[test]
    fn the_reference_example_signs_as_the_reference_libraries_do() {
        let s = Secret::parse(SECRET).expect("valid secret");
        assert_eq!(
            s.sign(ID, TS, BODY),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        assert!(s.verify(
            ID,
            TS,
            BODY,
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        ));
    }

    #[test]
    fn a_changed_body_id_timestamp_or_secret_does_not_verify() {
        let s = Secret::parse(SECRET).expect("valid secret");
        let sig = s.sign(ID, TS, BODY);
        assert!(!s.verify(
            ID,
            TS,
            br#"{"email":"x@example.com","username":"test_user"}"#,
            &sig
        ));
        assert!(!s.verify("msg_other", TS, BODY, &sig));
        assert!(!s.verify(ID, TS + 1, BODY, &sig));
        let other = Secret::from_bytes(&[7; 32]).expect("valid");
        assert!(!other.verify(ID, TS, BODY, &sig));
    }

    #[test]
    fn one_matching_signature_among_several_verifies() {
        let s = Secret::parse(SECRET).expect("valid secret");
        let sig = s.sign(ID, TS, BODY);
        assert!(s.verify(ID, TS, BODY, &format!("v1,bm9wZQ== {sig}")));
        assert!(!s.verify(ID, TS, BODY, "v1a,abc v2,xyz"));
    }

    #[test]
    fn a_secret_round_trips_through_its_text() {
        let s = Secret::from_bytes(&[1; SECRET_BYTES]).expect("valid");
        let text = s.expose();
        assert!(text.starts_with("whsec_"));
        assert_eq!(Secret::parse(&text), Ok(s));
    }

    #[test]
    fn a_secret_needs_its_prefix_base64_and_24_to_64_bytes() {
        assert_eq!(
            Secret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            Err(SecretError::Prefix)
        );
        assert_eq!(Secret::parse("whsec_not base64!"), Err(SecretError::Base64));
        assert_eq!(Secret::from_bytes(&[0; 23]), Err(SecretError::Length(23)));
        assert_eq!(Secret::from_bytes(&[0; 65]), Err(SecretError::Length(65)));
        assert!(Secret::from_bytes(&[0; 24]).is_ok());
        assert!(Secret::from_bytes(&[0; 64]).is_ok());
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let s = Secret::parse(SECRET).expect("valid secret");
        assert!(!format!("{s:?}").contains("C2FV"));
    }
}
