//! CSRF tokens. Every form and every script request sends one; it is an HMAC
//! keyed by a secret only this browser holds in an HttpOnly cookie (the
//! session token, or before sign-in a random sign-in cookie), so another
//! site can neither read nor compute it. Nothing is stored: the server
//! recomputes the token from the cookie and compares in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The form field, and the request header scripts may use instead.
pub const FIELD: &str = "csrf";
pub const HEADER: &str = "x-csrf-token";

const PURPOSE: &[u8] = b"insignia admin csrf";

fn mac(cookie_secret: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(cookie_secret.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// The token that goes with a cookie secret.
pub fn token(cookie_secret: &str) -> String {
    let mut mac = mac(cookie_secret);
    mac.update(PURPOSE);
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Does `sent` belong to this cookie secret? (`verify_slice` compares in constant time.)
pub fn verify(cookie_secret: &str, sent: &str) -> bool {
    let Ok(tag) = URL_SAFE_NO_PAD.decode(sent.trim()) else {
        return false;
    };
    let mut mac = mac(cookie_secret);
    mac.update(PURPOSE);
    mac.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cookies_own_token_verifies() {
        let mine = token("session-a");
        assert!(verify("session-a", &mine));
        assert!(!verify("session-b", &mine));
        assert!(!verify("session-a", ""));
        assert!(!verify("session-a", "not base64 !"));
        let mut forged = mine.clone();
        forged.replace_range(0..1, if mine.starts_with('A') { "B" } else { "A" });
        assert!(!verify("session-a", &forged));
    }
}
