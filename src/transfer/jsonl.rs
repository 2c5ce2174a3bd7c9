//! The export format: JSON lines, one record per line, each with a `type`.
//!
//! ```text
//! {"type":"insignia-export","version":1,"site":"<site id>"}
//! {"type":"badge","displayOrder":1,"badge":{…as Badges V4 sends it…}}
//! {"type":"page","page":{…as the pages API sends it…}}
//! {"type":"webhook","webhook":{…as the webhooks API sends it…}}
//! {"type":"client","client":{"id":…,"origins":[…],"createdDate":…,"revokedDate":…}}
//! {"type":"assignment","assignment":{…as Badge Assignments sends it…}}
//! ```
//! Badges come in display order, then pages, webhook subscriptions and
//! front-end OAuth clients (oldest first), then assignments oldest first;
//! a record only refers to badges on lines above it. Nothing secret is
//! written: no API keys, admin sessions, refresh tokens or signing keys
//! (a webhook has no secret of its own: deliveries are signed with the
//! database's key pair, and an OAuth client's id is public). A webhook's
//! delivery history stays behind; the copy is sent what happens after the
//! import. Reading a record runs the same validation as the APIs.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::api::insignia::webhooks::{webhook_input, webhook_json};
use crate::api::json::Fields;
use crate::api::v4::assignments::input::parse_new_assignment;
use crate::api::wire::assignment::AssignmentWire;
use crate::api::wire::badge::badge_json;
use crate::api::wire::badge_input::{new_badge, MissingColour};
use crate::api::wire::page::{new_page, page_json};
use crate::domain::{
    parse_guid, AssignmentId, Badge, BadgeAssignment, BadgeId, PageId, ProtectedPage, SiteId, Timestamp,
};
use crate::events::urls::check_callback_url;
use crate::events::Webhook;
use crate::service::frontend::parse_origin;
use crate::store::{ImportAssignment, ImportBadge, ImportPage, OAuthClientRecord};

pub const FORMAT: &str = "insignia-export";
pub const VERSION: u64 = 1;

pub fn header_line(site: SiteId) -> Value {
    json!({ "type": FORMAT, "version": VERSION, "site": site.to_string() })
}

pub fn badge_line(badge: &Badge, position: i64) -> Value {
    json!({ "type": "badge", "displayOrder": position, "badge": badge_json(badge) })
}

pub fn page_line(page: &ProtectedPage) -> Value {
    json!({ "type": "page", "page": page_json(page) })
}

pub fn webhook_line(webhook: &Webhook) -> Value {
    json!({ "type": "webhook", "webhook": webhook_json(webhook) })
}

pub fn client_line(client: &OAuthClientRecord) -> Value {
    let mut obj = json!({
        "id": client.id,
        "origins": client.origins,
        "createdDate": client.created_at,
    });
    if let Some(revoked) = client.revoked_at {
        obj["revokedDate"] = json!(revoked);
    }
    json!({ "type": "client", "client": obj })
}

/// An assignment's line, serialised as it stands: its keys in name order,
/// as a `Value` writes them, so the line is the same either way.
#[derive(Serialize)]
pub struct AssignmentLine<'a> {
    assignment: AssignmentWire<'a>,
    #[serde(rename = "type")]
    kind: &'static str,
}

pub fn assignment_line(assignment: &BadgeAssignment) -> AssignmentLine<'_> {
    AssignmentLine {
        assignment: AssignmentWire::new(assignment, true),
        kind: "assignment",
    }
}

/// One line read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Header {
        site: SiteId,
    },
    Badge(ImportBadge),
    Page(ImportPage),
    /// Its `site` is the exported one until the import sets the target.
    Webhook(Webhook),
    /// Its `site_id` is the exported one until the import sets the target.
    Client(OAuthClientRecord),
    Assignment(ImportAssignment),
}

/// Reads one line; the error says what is wrong with it (the caller adds the line number).
pub fn parse_line(text: &str) -> Result<Record, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            "the line ends before its JSON object does (a truncated file?)".to_owned()
        } else {
            format!("not valid JSON: {e}")
        }
    })?;
    let Value::Object(obj) = value else {
        return Err("expected a JSON object".to_owned());
    };
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or("the record has no `type`")?;
    match kind {
        FORMAT => {
            let version = obj.get("version").and_then(Value::as_u64);
            if version != Some(VERSION) {
                return Err(format!(
                    "unsupported export version {version:?}: this Insignia reads version {VERSION}"
                ));
            }
            let site = obj
                .get("site")
                .and_then(Value::as_str)
                .ok_or("the header has no `site`")?;
            let site = SiteId::parse("site", site).map_err(|v| v.description)?;
            Ok(Record::Header { site })
        }
        "badge" | "page" | "webhook" | "client" | "assignment" => parse_entity(kind, &obj),
        other => Err(format!(
            "unknown record type {other:?}: expected \"badge\", \"page\", \"webhook\", \"client\" or \"assignment\""
        )),
    }
}

/// A record of one of the entity types; its object is under the type's name.
fn parse_entity(kind: &str, obj: &Map<String, Value>) -> Result<Record, String> {
    let entity = entity(obj, kind)?;
    match kind {
        "badge" => parse_badge(entity).map(Record::Badge),
        "page" => parse_page(entity).map(Record::Page),
        "webhook" => parse_webhook(entity).map(Record::Webhook),
        "client" => parse_client(entity).map(Record::Client),
        _ => parse_assignment(entity).map(Record::Assignment),
    }
}

fn entity<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a Map<String, Value>, String> {
    obj.get(name)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("a {name} record needs a `{name}` object"))
}

fn guid<T>(
    obj: &Map<String, Value>,
    at: &str,
    parse: fn(&str, &str) -> Result<T, crate::domain::FieldViolation>,
) -> Result<T, String> {
    let raw = obj
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{at}.id` is missing"))?;
    parse(&format!("{at}.id"), raw).map_err(|v| v.description)
}

fn date(obj: &Map<String, Value>, at: &str, name: &str) -> Result<Timestamp, String> {
    obj.get(name)
        .and_then(Value::as_str)
        .and_then(Timestamp::parse_rfc3339)
        .ok_or_else(|| format!("`{at}.{name}` must be an RFC 3339 date"))
}

/// `"3"` (as V4 sends it) or `3`; 1 when absent.
fn revision(obj: &Map<String, Value>, at: &str) -> Result<i64, String> {
    match obj.get("revision") {
        None | Some(Value::Null) => Some(1),
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        Some(_) => None,
    }
    .filter(|r: &i64| *r >= 1)
    .ok_or_else(|| format!("`{at}.revision` must be a positive integer"))
}

/// A badge as V4 sends it; required fields as V4 requires them on create.
pub fn parse_badge(obj: &Map<String, Value>) -> Result<ImportBadge, String> {
    let badge = new_badge(obj, "badge", MissingColour::Refuse).map_err(|e| e.message)?;
    Ok(ImportBadge {
        id: guid(obj, "badge", BadgeId::parse)?,
        badge,
        slug: obj.get("slug").and_then(Value::as_str).map(str::to_owned),
        revision: revision(obj, "badge")?,
        created: date(obj, "badge", "createdDate")?,
        updated: date(obj, "badge", "updatedDate")?,
    })
}

pub fn parse_page(obj: &Map<String, Value>) -> Result<ImportPage, String> {
    let page = new_page(obj, "page").map_err(|e| e.message)?;
    Ok(ImportPage {
        id: guid(obj, "page", PageId::parse)?,
        path: page.path,
        title: page.title,
        badge_ids: page.badge_ids,
        revision: revision(obj, "page")?,
        created: date(obj, "page", "createdDate")?,
        updated: date(obj, "page", "updatedDate")?,
    })
}

/// A subscription as the webhooks API sends it. The callback URL is held to
/// the API's form (http or https, no credentials) but not to its refusal of
/// private addresses: that depends on the serving instance's settings, and
/// its dispatcher checks every address before each delivery anyway.
pub fn parse_webhook(obj: &Map<String, Value>) -> Result<Webhook, String> {
    let input = webhook_input(obj).map_err(|e| e.message)?;
    let url = input.url.ok_or("`webhook.url` is required")?;
    check_callback_url(&url, true).map_err(|why| format!("`webhook.url` {}", why.trim_start_matches("`url` ")))?;
    let event_types = input.event_types.unwrap_or_default();
    if event_types.is_empty() {
        return Err("`webhook.eventTypes` must name at least one event type".to_owned());
    }
    Ok(Webhook {
        id: guid(obj, "webhook", parse_guid)?,
        site: SiteId::from_uuid(uuid::Uuid::nil()),
        url,
        event_types,
        // As the API's create: a subscription without a status is active.
        active: input.active.unwrap_or(true),
        revision: revision(obj, "webhook")?,
        created_date: date(obj, "webhook", "createdDate")?,
        updated_date: date(obj, "webhook", "updatedDate")?,
    })
}

/// A front-end OAuth client: its public id, origins and dates (its sessions stay behind).
pub fn parse_client(obj: &Map<String, Value>) -> Result<OAuthClientRecord, String> {
    let mut f = Fields::new(obj, "client");
    f.refuse_unknown(&["id", "origins", "createdDate", "revokedDate"]);
    f.finish().map_err(|e| e.message)?;
    let origins = match obj.get("origins") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let raw = item.as_str().ok_or("`client.origins` must be a list of strings")?;
                parse_origin(raw).map_err(|e| format!("`client.origins`: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?,
        Some(_) => return Err("`client.origins` must be a list of strings".to_owned()),
    };
    let revoked_at = match obj.get("revokedDate") {
        None | Some(Value::Null) => None,
        Some(_) => Some(date(obj, "client", "revokedDate")?),
    };
    Ok(OAuthClientRecord {
        id: guid(obj, "client", parse_guid)?.to_string(),
        site_id: SiteId::from_uuid(uuid::Uuid::nil()),
        origins,
        created_at: date(obj, "client", "createdDate")?,
        revoked_at,
    })
}

/// An assignment as Badge Assignments sends it, with both tag lists.
pub fn parse_assignment(obj: &Map<String, Value>) -> Result<ImportAssignment, String> {
    let new = parse_new_assignment(obj, "assignment").map_err(|violations| {
        violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(ImportAssignment {
        id: guid(obj, "assignment", AssignmentId::parse)?,
        badge_id: new.badge_id,
        member_id: new.member_id,
        tags: new.tags,
        extended_fields: new.extended_fields,
        created: date(obj, "assignment", "createdDate")?,
        updated: date(obj, "assignment", "updatedDate")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_is_wrong() {
        let truncated = parse_line(r#"{"type":"badge","badge":{"title":"A"#).unwrap_err();
        assert!(truncated.contains("truncated"), "{truncated}");
        let kind = parse_line(r#"{"type":"delivery"}"#).unwrap_err();
        assert!(kind.contains("unknown record type \"delivery\""), "{kind}");
        let bare = parse_line(r#"{"type":"webhook"}"#).unwrap_err();
        assert!(bare.contains("a webhook record needs a `webhook` object"), "{bare}");
        let untyped = parse_line(r#"{"badge":{}}"#).unwrap_err();
        assert!(untyped.contains("`type`"), "{untyped}");
        let colour = parse_line(
            r##"{"type":"badge","badge":{"id":"5b0c7e52-6a43-4c1e-9f0b-2d7a1e6c9b10","title":"A","backgroundColor":"red","textColor":"#000000","createdDate":"2024-01-01T00:00:00.000Z","updatedDate":"2024-01-01T00:00:00.000Z"}}"##,
        )
        .unwrap_err();
        assert!(colour.contains("backgroundColor"), "{colour}");
    }

    #[test]
    fn an_assignment_line_is_what_its_value_would_write() {
        use crate::api::wire::assignment::assignment_json;
        use crate::domain::{MemberId, TagIds, Tags};
        let a = BadgeAssignment {
            id: AssignmentId::generate(),
            badge_id: BadgeId::generate(),
            member_id: MemberId::from_uuid(uuid::Uuid::new_v4()),
            tags: Tags {
                public: TagIds::from_stored(vec!["vip".into(), "2024".into()]),
                private: TagIds::from_stored(vec!["watch".into()]),
            },
            extended_fields: Some(json!({"namespaces": {"_user_defined": {"b": 1, "a": [true, null]}}})),
            created_date: Timestamp::from_millis(1_700_000_000_123),
            updated_date: Timestamp::from_millis(1_700_000_000_456),
        };
        let direct = serde_json::to_string(&assignment_line(&a)).unwrap();
        let through_value = json!({ "type": "assignment", "assignment": assignment_json(&a) }).to_string();
        assert_eq!(direct, through_value);
        let Record::Assignment(read) = parse_line(&direct).unwrap() else {
            panic!("an assignment")
        };
        assert_eq!(
            (read.id, read.tags, read.extended_fields),
            (a.id, a.tags, a.extended_fields)
        );
    }

    #[test]
    fn a_badge_reads_back_as_written() {
        let line = r##"{"type":"badge","displayOrder":1,"badge":{"id":"5b0c7e52-6a43-4c1e-9f0b-2d7a1e6c9b10","revision":"3","title":"Rising Star","description":"","backgroundColor":"#FED8B1","textColor":"#000000","permissionsEnabled":true,"slug":"rising-star","createdDate":"2024-01-18T10:27:14.878Z","updatedDate":"2024-01-18T14:50:36.174Z"}}"##;
        let Record::Badge(badge) = parse_line(line).unwrap() else {
            panic!("a badge")
        };
        assert_eq!(badge.revision, 3);
        assert_eq!(badge.slug.as_deref(), Some("rising-star"));
        assert!(badge.badge.permissions_enabled);
        assert_eq!(badge.created.to_rfc3339(), "2024-01-18T10:27:14.878Z");
    }
}
