//! Opaque, tamper-proof cursors. A cursor carries the query it continues
//! (filter and sort as received) and the sort key of the row a page starts
//! after, signed with HMAC-SHA256 over the site id, so a forged, corrupted or
//! borrowed cursor is refused instead of leaking rows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::ast::{Query, Value};
use super::page::Page;
use crate::domain::SiteId;

type HmacSha256 = Hmac<Sha256>;

/// The largest cursor accepted. A cursor carries its query's filter, which
/// may be as large as a request body (1 MiB), and base64 adds a third.
const MAX_CURSOR_LEN: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("cursor is malformed")]
    Malformed,
    #[error("cursor is not valid for this query")]
    BadSignature,
}

/// Where a cursor page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CursorPosition {
    /// `{"filter": …, "sort": …}` as the first request sent them.
    pub shape: serde_json::Value,
    pub key: Vec<Value>,
    pub backward: bool,
}

/// The cursors of the pages before and after one page; `None` where there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursors {
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// Signs and checks cursors for one site.
#[derive(Clone)]
pub struct CursorCodec {
    secret: Vec<u8>,
    site: Vec<u8>,
}

impl CursorCodec {
    pub fn new(secret: &[u8], site: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
            site: site.to_vec(),
        }
    }

    /// A codec bound to one site, so a cursor works only where it was issued.
    pub fn for_site(secret: &[u8], site: SiteId) -> Self {
        Self::new(secret, site.as_uuid().as_bytes())
    }

    /// The cursors that continue `query` from `page`, backward and forward.
    pub fn page_cursors<T>(&self, query: &Query, page: &Page<T>) -> PageCursors {
        let token = |key: &Option<Vec<Value>>, backward: bool| {
            key.as_ref().map(|key| {
                self.encode(&CursorPosition {
                    shape: query.shape.clone(),
                    key: key.clone(),
                    backward,
                })
            })
        };
        PageCursors {
            next: token(&page.next_key, false),
            prev: token(&page.prev_key, true),
        }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!());
        mac.update(&self.site);
        mac
    }

    pub fn encode(&self, position: &CursorPosition) -> String {
        let payload = serde_json::to_vec(position).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    pub fn decode(&self, token: &str) -> Result<CursorPosition, CursorError> {
        if token.len() > MAX_CURSOR_LEN {
            return Err(CursorError::Malformed);
        }
        let (payload, tag) = token.split_once('.').ok_or(CursorError::Malformed)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| CursorError::Malformed)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| CursorError::Malformed)?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| CursorError::BadSignature)?;
        serde_json::from_slice(&payload).map_err(|_| CursorError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> CursorPosition {
        CursorPosition {
            shape: serde_json::json!({"filter": {"title": "x"}, "sort": null}),
            key: vec![Value::Text("x".into()), Value::Guid(vec![1; 16])],
            backward: false,
        }
    }

    #[test]
    fn round_trips() {
        let codec = CursorCodec::new(b"secret", b"site-a");
        let token = codec.encode(&position());
        assert_eq!(codec.decode(&token).unwrap(), position());
    }

    #[test]
    fn another_site_cannot_use_it() {
        let token = CursorCodec::new(b"secret", b"site-a").encode(&position());
        let other = CursorCodec::new(b"secret", b"site-b");
        assert_eq!(other.decode(&token), Err(CursorError::BadSignature));
    }

    #[test]
    fn tampering_is_detected() {
        let codec = CursorCodec::new(b"secret", b"site-a");
        let token = codec.encode(&position());
        let (payload, tag) = token.split_once('.').unwrap();
        let mut forged = URL_SAFE_NO_PAD.decode(payload).unwrap();
        forged[12] ^= 1;
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged));
        assert_eq!(codec.decode(&forged), Err(CursorError::BadSignature));
        assert_eq!(codec.decode("garbage"), Err(CursorError::Malformed));
        assert_eq!(codec.decode("a.b"), Err(CursorError::Malformed));
    }
}
