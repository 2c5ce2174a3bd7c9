//! Front-end access tokens: self-contained and signed, so any instance
//! checks one without a database read.
//!
//! Form: `IAT.` + base64url(JSON claims) + `.` + base64url(HMAC-SHA256 of
//! everything before the last dot). The key is a random secret kept in the
//! database (`settings`), so every instance on one database signs and checks
//! with the same key. The `IAT.` prefix tells a token from an API key
//! (`insg_…`): both arrive raw in `Authorization`, as the SDK sends them.
//!
//! The SDK never looks inside (spec B2.4); it only reads `expires_in`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::domain::{MemberId, SiteId};

pub const ACCESS_TOKEN_PREFIX: &str = "IAT.";

/// Who a front-end token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A visitor: a new id per anonymous grant.
    Visitor(Uuid),
    Member(MemberId),
}

impl Subject {
    /// The stored role of a visitor's session (the store's sweep names it too).
    pub const VISITOR_ROLE: &'static str = "visitor";

    pub fn role(&self) -> &'static str {
        match self {
            Subject::Visitor(_) => Self::VISITOR_ROLE,
            Subject::Member(_) => "member",
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Subject::Visitor(id) => *id,
            Subject::Member(id) => id.as_uuid(),
        }
    }

    /// From a stored or signed `(role, id)`.
    pub fn from_parts(role: &str, id: &str) -> Option<Self> {
        let id = Uuid::try_parse(id).ok()?;
        match role {
            Self::VISITOR_ROLE => Some(Subject::Visitor(id)),
            "member" => Some(Subject::Member(MemberId::from_uuid(id))),
            _ => None,
        }
    }
}

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub site: SiteId,
    pub subject: Subject,
    /// The OAuth client the session was opened through.
    pub client_id: String,
    /// The session (refresh token) it was issued from.
    pub session_id: String,
    /// Issued and expiry times, in seconds since the epoch.
    pub issued_at: i64,
    pub expires_at: i64,
}

/// The signed JSON; short names keep tokens short.
#[derive(Serialize, Deserialize)]
struct Wire {
    site: Uuid,
    role: String,
    sub: Uuid,
    cid: String,
    sid: String,
    iat: i64,
    exp: i64,
}

/// Why a token was refused (each answers 401: the caller has no identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed access token")]
    Malformed,
    #[error("access token signature does not match")]
    BadSignature,
    #[error("access token expired")]
    Expired,
    #[error("access token revoked")]
    Revoked,
}

/// Signs and checks access tokens with one key.
#[derive(Clone)]
pub struct TokenSigner {
    key: Vec<u8>,
}

impl TokenSigner {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    pub fn sign(&self, claims: &AccessClaims) -> String {
        let wire = Wire {
            site: claims.site.as_uuid(),
            role: claims.subject.role().to_owned(),
            sub: claims.subject.id(),
            cid: claims.client_id.clone(),
            sid: claims.session_id.clone(),
            iat: claims.issued_at,
            exp: claims.expires_at,
        };
        let body = serde_json::to_vec(&wire).unwrap_or_default();
        let signed = format!("{ACCESS_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(body));
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signed}.{signature}")
    }

    /// The claims of a token this key signed, whatever its expiry.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        if !token.starts_with(ACCESS_TOKEN_PREFIX) || token.len() > 2048 {
            return Err(TokenError::Malformed);
        }
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
        let body = URL_SAFE_NO_PAD
            .decode(&signed[ACCESS_TOKEN_PREFIX.len()..])
            .map_err(|_| TokenError::Malformed)?;
        let wire: Wire = serde_json::from_slice(&body).map_err(|_| TokenError::Malformed)?;
        let subject = Subject::from_parts(&wire.role, &wire.sub.to_string()).ok_or(TokenError::Malformed)?;
        Ok(AccessClaims {
            site: SiteId::from_uuid(wire.site),
            subject,
            client_id: wire.cid,
            session_id: wire.sid,
            issued_at: wire.iat,
            expires_at: wire.exp,
        })
    }
}

/// Seconds since the epoch.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> AccessClaims {
        AccessClaims {
            site: SiteId::from_uuid(Uuid::new_v4()),
            subject: Subject::Member(MemberId::from_uuid(Uuid::new_v4())),
            client_id: "c".into(),
            session_id: "s".into(),
            issued_at: 10,
            expires_at: 20,
        }
    }

    #[test]
    fn signed_claims_read_back() {
        let signer = TokenSigner::new(vec![7; 32]);
        let c = claims();
        assert_eq!(signer.verify(&signer.sign(&c)), Ok(c));
    }

    #[test]
    fn another_key_or_a_changed_body_is_refused() {
        let token = TokenSigner::new(vec![7; 32]).sign(&claims());
        assert_eq!(
            TokenSigner::new(vec![8; 32]).verify(&token),
            Err(TokenError::BadSignature)
        );
        let (body, sig) = token.rsplit_once('.').unwrap();
        let forged = format!("{body}x.{sig}");
        assert!(TokenSigner::new(vec![7; 32]).verify(&forged).is_err());
        assert_eq!(
            TokenSigner::new(vec![7; 32]).verify("insg_abc"),
            Err(TokenError::Malformed)
        );
    }
}
