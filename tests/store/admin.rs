//! Admin page sign-ins: sessions and one-time links, by token hash.

use insignia::domain::{generate_api_key, hash_secret, SiteId, Timestamp};
use insignia::store::{AdminSessionRecord, ApiKeyRecord, LoginLinkRecord};

use crate::backend_test;
use crate::support::*;

fn session(site: SiteId, token: &str, key_id: Option<String>, created: i64, expires: i64) -> AdminSessionRecord {
    AdminSessionRecord {
        token_hash: hash_secret(token),
        site_id: site,
        key_id,
        scopes: vec!["SCOPE.DC-MEMBERS.READ-BADGES".into()],
        created_at: Timestamp::from_millis(created),
        expires_at: Timestamp::from_millis(expires),
    }
}

backend_test!(
    sessions_live_until_expiry_sign_out_or_key_revocation,
    |backend| async move {
        let (_db, store) = open(backend).await;
        let a = site();
        let now = Timestamp::now().millis();
        let key = generate_api_key();
        store
            .insert_api_key(&ApiKeyRecord {
                id: key.id.clone(),
                key_hash: key.hash,
                site_id: a,
                scopes: vec!["SCOPE.DC-MEMBERS.READ-BADGES".into()],
                created_at: Timestamp::from_millis(now),
                revoked_at: None,
            })
            .await
            .unwrap();

        let with_key = session(a, "with-key", Some(key.id.clone()), now, now + 60_000);
        let by_link = session(a, "by-link", None, now, now + 60_000);
        let expired = session(a, "expired", None, now - 120_000, now - 60_000);
        let unknown_key = session(a, "unknown-key", Some("nokey".into()), now, now + 60_000);
        for s in [&expired, &with_key, &by_link, &unknown_key] {
            store.insert_admin_session(s).await.unwrap();
        }
        let find = |token: &'static str, at: i64| {
            let store = store.clone();
            async move {
                store
                    .find_admin_session(&hash_secret(token), Timestamp::from_millis(at))
                    .await
                    .unwrap()
            }
        };
        assert_eq!(find("with-key", now).await, Some(with_key.clone()));
        assert_eq!(find("by-link", now).await, Some(by_link.clone()));
        assert_eq!(find("expired", now).await, None);
        assert_eq!(find("by-link", now + 60_000).await, None, "expired at its expiry");
        assert_eq!(find("unknown-key", now).await, None, "a session needs its key");
        assert_eq!(find("nothing", now).await, None);

        assert!(store.delete_admin_session(&hash_secret("by-link")).await.unwrap());
        assert!(!store.delete_admin_session(&hash_secret("by-link")).await.unwrap());
        assert_eq!(find("by-link", now).await, None);

        assert!(store.revoke_api_key(&key.id).await.unwrap());
        assert_eq!(find("with-key", now).await, None, "revoking the key ends its sessions");
    }
);

backend_test!(
    a_login_link_is_taken_once_and_only_before_expiry,
    |backend| async move {
        let (_db, store) = open(backend).await;
        let a = site();
        let now = Timestamp::now().millis();
        let link = |token: &str, expires: i64| LoginLinkRecord {
            token_hash: hash_secret(token),
            site_id: a,
            created_at: Timestamp::from_millis(now),
            expires_at: Timestamp::from_millis(expires),
        };
        store.insert_login_link(&link("fresh", now + 60_000)).await.unwrap();
        store.insert_login_link(&link("stale", now - 1)).await.unwrap();

        // Many takers at once: exactly one gets the link.
        let takers = (0..8).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .take_login_link(&hash_secret("fresh"), Timestamp::from_millis(now))
                    .await
                    .unwrap()
            })
        });
        let mut winners = Vec::new();
        for taker in takers {
            if let Some(taken) = taker.await.unwrap() {
                winners.push(taken);
            }
        }
        assert_eq!(winners, vec![link("fresh", now + 60_000)]);

        let stale = store
            .take_login_link(&hash_secret("stale"), Timestamp::from_millis(now))
            .await
            .unwrap();
        assert_eq!(stale, None, "an expired link signs nobody in");
    }
);
