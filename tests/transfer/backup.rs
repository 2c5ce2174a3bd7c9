//! A backup taken while a bulk load writes is a whole database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use insignia::domain::{MemberId, NewAssignment, Tags};
use insignia::store::{connect, ConnectOptions, Store};
use sqlx::Row;

use crate::common::{Backend, TestDb};
use crate::helpers::{fill_site, site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_writes_passes_the_integrity_check() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let site = site();
    let badges = fill_site(&db.store, site, 0).await;

    // A bulk load, running until told to stop.
    let loading = Arc::new(AtomicBool::new(true));
    let writer = {
        let store = db.store.clone();
        let loading = loading.clone();
        tokio::spawn(async move {
            let mut written = 0;
            while loading.load(Ordering::SeqCst) {
                let items: Vec<NewAssignment> = (0..100)
                    .map(|i| NewAssignment {
                        badge_id: badges[i % 3],
                        member_id: MemberId::from_uuid(uuid::Uuid::new_v4()),
                        tags: Tags::default(),
                        extended_fields: None,
                    })
                    .collect();
                store.create_assignments(site, &items).await.unwrap();
                written += 100;
            }
            written
        })
    };
    // Another process's connection, as `insignia backup` beside `insignia serve` has.
    let other = connect(&ConnectOptions::new(&db.url)).await.unwrap();
    while db
        .store
        .member_counts(site)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum::<i64>()
        < 2_000
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup.db");
    other.backup_into(&path).await.unwrap();
    loading.store(false, Ordering::SeqCst);
    let written = writer.await.unwrap();

    let refused = other.backup_into(&path).await;
    assert!(refused.is_err(), "an existing file is never overwritten");

    let copy = connect(&ConnectOptions::new(format!("sqlite://{}", path.display())))
        .await
        .unwrap();
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(
            &sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap(),
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(check, "ok");
    let held: i64 = copy.member_counts(site).await.unwrap().iter().map(|(_, n)| n).sum();
    assert!(
        held >= 2_000 && held <= written,
        "the copy holds a snapshot: {held} of {written}"
    );
    assert_eq!(held % 100, 0, "whole transactions only: {held}");
}
