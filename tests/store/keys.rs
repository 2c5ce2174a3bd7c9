//! API keys and the server secret.

use insignia::domain::{generate_api_key, hash_api_key, SiteId, Timestamp};
use insignia::store::{connect, ApiKeyRecord, ConnectOptions, Store};

use crate::backend_test;
use crate::support::*;

fn record(site: SiteId, scopes: &[&str], created_at: i64) -> ApiKeyRecord {
    let key = generate_api_key();
    ApiKeyRecord {
        id: key.id,
        key_hash: key.hash,
        site_id: site,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        created_at: Timestamp::from_millis(created_at),
        revoked_at: None,
    }
}

backend_test!(insert_find_list_revoke, |backend| async move {
    let (_db, store) = open(backend).await;
    let (a, b) = (site(), site());
    let now = Timestamp::now().millis();
    let first = record(a, &["SCOPE.DC-MEMBERS.MANAGE-BADGES"], now - 2000);
    let second = record(
        a,
        &["SCOPE.DC-MEMBERS.READ-BADGES", "SCOPE.DC-MEMBERS.MANAGE-BADGES"],
        now - 1000,
    );
    let other = record(b, &["SCOPE.DC-MEMBERS.READ-BADGES"], now);
    // Inserted out of date order: listing sorts by creation.
    for key in [&second, &other, &first] {
        store.insert_api_key(key).await.unwrap();
    }
    assert!(
        store.insert_api_key(&first).await.is_err(),
        "a key (id and hash) is stored once"
    );

    assert_eq!(store.find_api_key(&first.key_hash).await.unwrap(), Some(first.clone()));
    assert_eq!(
        store.find_api_key(&second.key_hash).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(store.find_api_key(&hash_api_key("insg_nope")).await.unwrap(), None);

    assert_eq!(
        store.list_api_keys(None).await.unwrap(),
        vec![first.clone(), second.clone(), other.clone()]
    );
    assert_eq!(
        store.list_api_keys(Some(a)).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(store.list_api_keys(Some(b)).await.unwrap(), vec![other.clone()]);
    assert!(store.list_api_keys(Some(site())).await.unwrap().is_empty());

    let before = Timestamp::now().millis();
    assert!(store.revoke_api_key(&first.id).await.unwrap());
    assert!(!store.revoke_api_key(&first.id).await.unwrap(), "only once");
    assert!(!store.revoke_api_key("no-such-key").await.unwrap());
    let revoked = store.find_api_key(&first.key_hash).await.unwrap().unwrap();
    assert!(revoked.revoked_at.unwrap().millis() >= before);
    assert_eq!(
        ApiKeyRecord {
            revoked_at: None,
            ..revoked.clone()
        },
        first
    );
    assert_eq!(
        store.list_api_keys(Some(a)).await.unwrap(),
        vec![revoked, second.clone()]
    );
    assert_eq!(
        store.find_api_key(&second.key_hash).await.unwrap().unwrap().revoked_at,
        None,
        "the other keys stay active"
    );
});

backend_test!(server_secret_is_shared_by_every_connection, |backend| async move {
    let (db, store) = open(backend).await;
    let secret = store.server_secret().await.unwrap();
    assert_eq!(secret.len(), 32);
    assert_eq!(store.server_secret().await.unwrap(), secret, "stable");

    // A second instance on the same database reads the same secret.
    let mut options = ConnectOptions::new(&db.url);
    options.schema = db.schema.clone();
    let again = connect(&options).await.unwrap();
    assert_eq!(again.server_secret().await.unwrap(), secret);
    again.close().await;
});

backend_test!(first_secret_wins_when_instances_start_together, |backend| async move {
    // Fresh database: several instances ask at once; all get one value.
    let (db, _store) = open(backend).await;
    let mut options = ConnectOptions::new(&db.url);
    options.schema = db.schema.clone();
    options.max_connections = 2;
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(connect(&options).await.unwrap());
    }
    let tasks: Vec<_> = instances
        .iter()
        .cloned()
        .map(|s| tokio::spawn(async move { s.server_secret().await.unwrap() }))
        .collect();
    let mut secrets = Vec::new();
    for t in tasks {
        secrets.push(t.await.unwrap());
    }
    assert!(secrets.windows(2).all(|w| w[0] == w[1]), "one secret for all");
    for s in instances {
        s.close().await;
    }
});
