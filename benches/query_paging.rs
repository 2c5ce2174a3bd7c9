//! The cost of a badge query page near the start of a large result and deep
//! inside it, with offset paging and with cursor paging.
//!
//! One site holds `BENCH_BADGES` badges (100,000). For each sort, page 1 and
//! the page that starts `BENCH_DEPTH` rows in (50,000) are fetched repeatedly,
//! through the store and over HTTP through the real router:
//! - offset paging asks for `offset = depth` (and, like every offset page that
//!   is not a short first page, counts the matching rows for `total`);
//! - cursor paging first walks there page by page, following each page's next
//!   cursor, then fetches the page after that cursor's key.
//!
//! Then a prefix page: `$startsWith` ignores case and reads a range of the
//! folded title's index; it is timed beside the case-sensitive range of the
//! title's own index that returns the same rows (every title here is lower
//! case), the best a case-sensitive prefix can do, with the default sort and
//! sorted by title.
//!
//! `cargo bench --bench query_paging`. SQLite in a temp dir by default;
//! `BENCH_DATABASE_URL=postgres://…` runs on PostgreSQL in a fresh schema
//! (dropped afterwards). Env: `BENCH_BADGES`, `BENCH_DEPTH`, `BENCH_SAMPLES`
//! (fetches per figure, 200). Without `--bench` (as `cargo test --all-targets`
//! runs it) a small smoke run on 2,000 badges.

use std::sync::Arc;
use std::time::{Duration, Instant};

use insignia::domain::{fold_case, BadgeDescription, BadgeTitle, Color, NewBadge, SiteId};
use insignia::query::cursor::CursorPosition;
use insignia::query::{parse_query, CursorCodec, PageLimits, Paging, Query, Value, BADGES};
use insignia::store::{SqlStore, Store};
use serde_json::{json, Value as Json};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

mod support;
use support::{env_or, percentile, BenchDb};

const PAGE: u32 = 50;

/// The page-size rules of `POST /badges/v4/badges/query`.
const LIMITS: PageLimits = PageLimits {
    default_limit: 50,
    max_limit: 100,
    default_cursor_limit: 50,
    max_cursor_limit: 100,
};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Times `samples` runs of `f` (after a few unmeasured ones) and prints p50/p99.
async fn measure<F, Fut>(label: &str, samples: usize, f: F) -> Vec<String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    measure_p50(label, samples, f).await.0
}

/// `measure`, also answering the median time.
async fn measure_p50<F, Fut>(label: &str, samples: usize, mut f: F) -> (Vec<String>, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let mut first = Vec::new();
    for _ in 0..3 {
        first = f().await;
    }
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let ids = f().await;
        times.push(t.elapsed());
        assert_eq!(ids, first, "{label}: the same page every time");
    }
    times.sort();
    let p50 = percentile(&times, 0.5);
    println!(
        "  {label:<44} p50 {:>8.2} ms   p99 {:>8.2} ms",
        ms(p50),
        ms(percentile(&times, 0.99))
    );
    (first, p50)
}

struct Bench {
    store: Arc<SqlStore>,
    site: SiteId,
    codec: CursorCodec,
    http: reqwest::Client,
    base: String,
    key: String,
    samples: usize,
    depth: usize,
}

impl Bench {
    fn query(&self, raw: Json) -> Query {
        parse_query(&BADGES, &raw, "query", LIMITS, &self.codec).expect("valid query")
    }

    async fn store_page(&self, query: &Query) -> (Vec<String>, Option<Vec<Value>>) {
        let page = self.store.query_badges(self.site, query).await.expect("query");
        let ids = page.items.iter().map(|b| b.id.to_string()).collect();
        (ids, page.next_key)
    }

    async fn http_page(&self, body: &Json) -> Vec<String> {
        let res = self
            .http
            .post(format!("{}/badges/v4/badges/query", self.base))
            .header("authorization", &self.key)
            .header("wix-site-id", self.site.as_uuid().to_string())
            .json(body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let reply: Json = res.json().await.expect("json");
        assert!(status.is_success(), "{status}: {reply}");
        reply["badges"]
            .as_array()
            .expect("badges")
            .iter()
            .map(|b| b["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Page 1 of a case-insensitive `$startsWith` beside the case-sensitive
    /// range that returns the same rows, through the store and over HTTP.
    async fn run_prefix(&self, name: &str, sort: Json) {
        println!("prefix page 1, sort: {name}");
        let insensitive = json!({"filter": {"title": {"$startsWith": "A"}}, "sort": sort, "paging": {"limit": PAGE}});
        let sensitive =
            json!({"filter": {"title": {"$gte": "a", "$lt": "b"}}, "sort": sort, "paging": {"limit": PAGE}});
        let mut p50 = Vec::new();
        for (label, raw) in [
            ("store  $startsWith \"A\" (any case)", &insensitive),
            ("store  title in [\"a\", \"b\") (case-sensitive)", &sensitive),
        ] {
            let q = self.query(raw.clone());
            let (ids, p) = measure_p50(label, self.samples, || async { self.store_page(&q).await.0 }).await;
            assert_eq!(ids.len(), PAGE as usize, "{label}: a full page");
            p50.push((ids, p));
        }
        assert_eq!(p50[0].0, p50[1].0, "both give the same page");
        for (label, raw) in [
            ("http   $startsWith \"A\" (any case)", &insensitive),
            ("http   title in [\"a\", \"b\") (case-sensitive)", &sensitive),
        ] {
            let body = json!({ "query": raw });
            let (ids, _) = measure_p50(label, self.samples, || self.http_page(&body)).await;
            assert_eq!(ids, p50[0].0, "{label} returns the store's page");
        }
        println!(
            "  (store p50: case-insensitive / case-sensitive = {:.2})",
            ms(p50[0].1) / ms(p50[1].1).max(1e-6)
        );
    }

    /// All figures for one sort.
    async fn run_sort(&self, name: &str, sort: Json) {
        println!("sort: {name}");
        let depth = self.depth;
        let rows = format!("rows {depth}-{}", depth + PAGE as usize - 1);
        let shape = json!({"sort": sort});

        let mut offset_first = shape.clone();
        offset_first["paging"] = json!({"limit": PAGE, "offset": 0});
        let mut offset_deep = shape.clone();
        offset_deep["paging"] = json!({"limit": PAGE, "offset": depth});
        let mut cursor_first = shape.clone();
        cursor_first["cursorPaging"] = json!({"limit": PAGE});

        // Walk to the depth one cursor page at a time, as a client would.
        let mut query = self.query(cursor_first.clone());
        let first_query = query.clone();
        let walk_started = Instant::now();
        let mut walked = 0;
        let mut slowest = Duration::ZERO;
        while walked < depth {
            let t = Instant::now();
            let (ids, next) = self.store_page(&query).await;
            slowest = slowest.max(t.elapsed());
            walked += ids.len();
            let key = next.expect("more pages before the depth");
            query.paging = Paging::Cursor {
                limit: PAGE,
                after: Some(key),
                backward: false,
            };
        }
        let pages = depth / PAGE as usize;
        let walk = walk_started.elapsed();
        let deep_cursor = query;
        let Paging::Cursor { after: Some(key), .. } = &deep_cursor.paging else {
            unreachable!("the walk ends on a cursor")
        };
        let token = self.codec.encode(&CursorPosition {
            shape: first_query.shape.clone(),
            key: key.clone(),
            backward: false,
        });
        let cursor_deep = json!({"cursorPaging": {"limit": PAGE, "cursor": token}});

        let q = self.query(offset_first.clone());
        let a = measure("store  offset  page 1", self.samples, || async {
            self.store_page(&q).await.0
        })
        .await;
        let q = self.query(offset_deep.clone());
        let b = measure(&format!("store  offset  {rows}"), self.samples, || async {
            self.store_page(&q).await.0
        })
        .await;
        let c = measure("store  cursor  page 1", self.samples, || async {
            self.store_page(&first_query).await.0
        })
        .await;
        let d = measure(&format!("store  cursor  {rows}"), self.samples, || async {
            self.store_page(&deep_cursor).await.0
        })
        .await;
        assert_eq!(a, c, "page 1 is the same either way");
        assert_eq!(b, d, "the deep page is the same either way");
        println!(
            "  (cursor walk to row {depth}: {pages} pages in {:.1} s, mean {:.2} ms, slowest {:.2} ms per page)",
            walk.as_secs_f64(),
            ms(walk) / pages.max(1) as f64,
            ms(slowest)
        );

        let http = |q: Json| json!({ "query": q });
        let bodies = [
            ("http   offset  page 1".to_owned(), http(offset_first), &a),
            (format!("http   offset  {rows}"), http(offset_deep), &b),
            ("http   cursor  page 1".to_owned(), http(cursor_first), &c),
            (format!("http   cursor  {rows}"), http(cursor_deep), &d),
        ];
        for (label, body, expected) in bodies {
            let got = measure(&label, self.samples, || self.http_page(&body)).await;
            assert_eq!(&got, expected, "{label} returns the store's page");
        }
    }
}

/// Fills the site: one badge through the store (as the service would make
/// it), the rest with multi-row INSERTs in one transaction. Titles are in a
/// different order from creation; every two badges share a creation date.
async fn load(store: &SqlStore, raw: &AnyPool, table: &str, site: SiteId, total: usize) {
    let new = NewBadge {
        title: BadgeTitle::parse("title", "first badge").unwrap(),
        description: BadgeDescription::default(),
        background_color: Color::default_background(),
        text_color: Color::default_text(),
        icon: None,
        permissions_enabled: false,
    };
    let first = store.create_badge(site, &new).await.expect("create badge");
    let base = first.created_date.millis() - (total as i64) * 1000;
    let mut tx = raw.begin().await.expect("begin");
    const BATCH: usize = 1000;
    for start in (1..total).step_by(BATCH) {
        let end = (start + BATCH).min(total);
        let mut sql = format!(
            "INSERT INTO {table} (site_id, id, revision, title, description, background_color, text_color, icon, \
             permissions_enabled, slug, display_order, member_count, created_at, updated_at, \
             title_folded, slug_folded, description_folded) VALUES "
        );
        for (n, _) in (start..end).enumerate() {
            let p = n * 8;
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, 1, ${}, '', '#796EFF', '#FFFFFF', NULL, 0, ${}, ${}, 0, ${}, ${}, ${}, ${}, '')",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 6,
                p + 7,
                p + 8
            ));
        }
        let mut query = sqlx::query(&sql);
        for i in start..end {
            let id = uuid::Uuid::now_v7();
            // A title that sorts apart from creation order.
            let title = format!("{:08x} badge {i}", (i as u32).wrapping_mul(2_654_435_761));
            let slug = format!("badge-{i}");
            // The store keeps every title and slug folded too (`$startsWith` reads them).
            let (title_folded, slug_folded) = (fold_case(&title), fold_case(&slug));
            query = query
                .bind(site.to_bytes())
                .bind(id.as_bytes().to_vec())
                .bind(title)
                .bind(slug)
                .bind(i as i64 + 1)
                .bind(base + (i as i64 / 2) * 1000)
                .bind(title_folded)
                .bind(slug_folded);
        }
        query.execute(&mut *tx).await.expect("insert badges");
    }
    tx.commit().await.expect("commit");
}

#[tokio::main]
async fn main() {
    let full_run = std::env::args().any(|a| a == "--bench");
    let total = env_or("BENCH_BADGES", if full_run { 100_000 } else { 2_000 });
    let depth = env_or("BENCH_DEPTH", if full_run { 50_000 } else { 1_000 });
    let samples = env_or("BENCH_SAMPLES", if full_run { 200 } else { 5 });
    assert!(depth + PAGE as usize <= total, "BENCH_DEPTH must leave a full page");

    let db = BenchDb::from_env().await;
    let store = db.store.clone();
    let postgres = db.schema.is_some();
    let raw = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .expect("second connection");
    let table = db.table("badges");

    let site = SiteId::from_uuid(uuid::Uuid::new_v4());
    let key = db.key(site, "SCOPE.DC-MEMBERS.READ-BADGES").await;
    let backend = db.backend();
    println!(
        "badge query paging: {total} badges in one site on {backend}, pages of {PAGE}, {samples} fetches per figure"
    );
    let started = Instant::now();
    load(&store, &raw, &table, site, total).await;
    if postgres {
        // What autovacuum would have done by the time a site has this many badges.
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(&raw)
            .await
            .expect("analyze");
    }
    println!("load: {:.1} s", started.elapsed().as_secs_f64());

    let codec = CursorCodec::for_site(&store.server_secret().await.expect("cursor secret"), site);
    let (base, _serving) = db.serve().await;

    let bench = Bench {
        store: store.clone(),
        site,
        codec,
        http: reqwest::Client::new(),
        base,
        key,
        samples,
        depth,
    };
    bench.run_sort("createdDate DESC (the default)", Json::Null).await;
    bench
        .run_sort("title ASC", json!([{"fieldName": "title", "order": "ASC"}]))
        .await;
    bench
        .run_sort(
            "title ASC, createdDate DESC (mixed directions)",
            json!([{"fieldName": "title", "order": "ASC"}, {"fieldName": "createdDate", "order": "DESC"}]),
        )
        .await;

    bench.run_prefix("createdDate DESC (the default)", Json::Null).await;
    bench
        .run_prefix("title ASC", json!([{"fieldName": "title", "order": "ASC"}]))
        .await;

    raw.close().await;
    store.close().await;
}
