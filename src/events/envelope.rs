//! Events as the outbox stores them and as the wire carries them (see
//! `shared/spec/events-and-identity.md` §A3–A4): a domain event, wrapped in
//! an envelope whose `data` and `identity` are JSON *strings*. Handlers of
//! the SDK throw on objects there, so the doubling is deliberate.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::EventType;
use crate::api::wire::assignment::assignment_json;
use crate::api::wire::badge::{badge_json, legacy_badge_json};
use crate::api::wire::page::page_json;
use crate::domain::{Badge, BadgeAssignment, BadgeId, ProtectedPage, SiteId, Timestamp};

/// Who made a change; becomes the event's `identity`. API keys stand for
/// apps (identity type `APP`, the key's id as `appId`); front-end tokens for
/// members (a delegated assignment) and anonymous visitors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Actor {
    ApiKey(String),
    /// A member, by member id.
    Member(String),
    /// A visitor who has not signed in, by visitor id.
    Visitor(String),
    /// A change made without a caller (the command line, a migration).
    #[default]
    Unknown,
}

impl Actor {
    /// The `IdentificationData` JSON text.
    pub fn identity_json(&self) -> String {
        match self {
            Actor::ApiKey(id) => json!({ "identityType": "APP", "appId": id }).to_string(),
            Actor::Member(id) => json!({ "identityType": "MEMBER", "memberId": id }).to_string(),
            Actor::Visitor(id) => json!({ "identityType": "ANONYMOUS_VISITOR", "anonymousVisitorId": id }).to_string(),
            Actor::Unknown => json!({ "identityType": "UNKNOWN" }).to_string(),
        }
    }

    /// The actor an `identity_json` text stands for (a job stores its
    /// caller's this way, for the events of batches run later); anything
    /// else is `Unknown`.
    pub fn from_identity_json(text: &str) -> Actor {
        let identity: Value = serde_json::from_str(text).unwrap_or_default();
        let field = |name: &str| identity[name].as_str().map(str::to_owned);
        let actor = match identity["identityType"].as_str() {
            Some("APP") => field("appId").map(Actor::ApiKey),
            Some("MEMBER") => field("memberId").map(Actor::Member),
            Some("ANONYMOUS_VISITOR") => field("anonymousVisitorId").map(Actor::Visitor),
            _ => None,
        };
        actor.unwrap_or_default()
    }
}

/// An event about to be written: its type, the entity it is about, and the
/// part of the domain event that differs by type (the body, and
/// `originatedFrom` on cascades). Ids, times and sequence numbers are the
/// outbox's to give.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: EventType,
    pub entity_id: Uuid,
    pub body: Value,
}

impl NewEvent {
    fn new(event_type: EventType, entity_id: Uuid, body: Value) -> Self {
        Self {
            event_type,
            entity_id,
            body,
        }
    }

    /// The body's JSON text, as stored.
    pub fn body_text(&self) -> String {
        self.body.to_string()
    }

    pub fn badge_created(badge: &Badge) -> [NewEvent; 2] {
        let id = badge.id.as_uuid();
        [
            Self::new(
                EventType::BadgeCreated,
                id,
                json!({"createdEvent": {"entity": badge_json(badge)}}),
            ),
            Self::new(
                EventType::LegacyBadgeCreated,
                id,
                json!({"createdEvent": {"entity": legacy_badge_json(badge)}}),
            ),
        ]
    }

    pub fn badge_updated(badge: &Badge) -> [NewEvent; 2] {
        let id = badge.id.as_uuid();
        [
            Self::new(
                EventType::BadgeUpdated,
                id,
                json!({"updatedEvent": {"currentEntity": badge_json(badge)}}),
            ),
            Self::new(
                EventType::LegacyBadgeUpdated,
                id,
                json!({"updatedEvent": {"currentEntity": legacy_badge_json(badge)}}),
            ),
        ]
    }

    /// `deletedEvent: {}`: with a `deletedEntity` the SDK would hand the
    /// handler an untransformed badge (spec §A6 row 3).
    pub fn badge_deleted(badge: &Badge) -> [NewEvent; 2] {
        let id = badge.id.as_uuid();
        [
            Self::new(EventType::BadgeDeleted, id, json!({"deletedEvent": {}})),
            Self::new(EventType::LegacyBadgeDeleted, id, json!({"deletedEvent": {}})),
        ]
    }

    /// The V4 event, and the older API's `badge_assigned` about the badge.
    pub fn assignment_created(a: &BadgeAssignment) -> [NewEvent; 2] {
        [
            Self::new(
                EventType::AssignmentCreated,
                a.id.as_uuid(),
                json!({"createdEvent": {"entity": assignment_json(a)}}),
            ),
            Self::new(
                EventType::BadgeAssigned,
                a.badge_id.as_uuid(),
                json!({"actionEvent": {"body": {"memberId": a.member_id.to_string()}}}),
            ),
        ]
    }

    /// `originated_from` names the change that caused this one (a badge's
    /// delete removing its assignments).
    pub fn assignment_deleted(a: &BadgeAssignment, originated_from: Option<&str>) -> [NewEvent; 2] {
        let mut events = [
            Self::new(
                EventType::AssignmentDeleted,
                a.id.as_uuid(),
                json!({"deletedEvent": {"deletedEntity": assignment_json(a)}}),
            ),
            Self::new(
                EventType::BadgeUnassigned,
                a.badge_id.as_uuid(),
                json!({"actionEvent": {"body": {"memberId": a.member_id.to_string()}}}),
            ),
        ];
        if let Some(origin) = originated_from {
            for event in &mut events {
                event.body["originatedFrom"] = json!(origin);
            }
        }
        events
    }

    pub fn assignment_tags_updated(a: &BadgeAssignment) -> NewEvent {
        Self::new(
            EventType::AssignmentTagsUpdated,
            a.id.as_uuid(),
            json!({"updatedEvent": {"currentEntity": assignment_json(a)}}),
        )
    }

    /// The site's badges in their new display order.
    pub fn badges_reordered(site: SiteId, order: &[BadgeId]) -> NewEvent {
        let ids: Vec<String> = order.iter().map(ToString::to_string).collect();
        Self::new(
            EventType::BadgesReordered,
            site.as_uuid(),
            json!({"actionEvent": {"body": {"badgeIds": ids}}}),
        )
    }

    pub fn page_created(page: &ProtectedPage) -> NewEvent {
        Self::new(
            EventType::PageCreated,
            page.id.as_uuid(),
            json!({"createdEvent": {"entity": page_json(page)}}),
        )
    }

    pub fn page_updated(page: &ProtectedPage) -> NewEvent {
        Self::new(
            EventType::PageUpdated,
            page.id.as_uuid(),
            json!({"updatedEvent": {"currentEntity": page_json(page)}}),
        )
    }

    pub fn page_deleted(page: &ProtectedPage) -> NewEvent {
        Self::new(
            EventType::PageDeleted,
            page.id.as_uuid(),
            json!({"deletedEvent": {"deletedEntity": page_json(page)}}),
        )
    }
}

/// An event as the outbox holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub site: SiteId,
    /// The site's commit-ordered sequence number.
    pub seq: i64,
    pub id: Uuid,
    pub event_type: String,
    pub entity_id: Uuid,
    pub event_time: Timestamp,
    /// `IdentificationData` as JSON text.
    pub identity: Option<String>,
    /// The type's part of the domain event, as JSON text.
    pub body: String,
}

impl StoredEvent {
    pub fn event_type(&self) -> Option<EventType> {
        EventType::parse(&self.event_type)
    }

    /// The DomainEvent (spec §A4). `entityEventSequence` is the site's
    /// sequence number: it increases with every event of an entity, as Wix
    /// promises, and orders events of different entities too.
    pub fn domain_event(&self) -> Value {
        let (fqdn, slug) = self.event_type().map(EventType::fqdn_and_slug).unwrap_or(("", ""));
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id.to_string()));
        out.insert("entityFqdn".into(), json!(fqdn));
        out.insert("slug".into(), json!(slug));
        out.insert("entityId".into(), json!(self.entity_id.to_string()));
        out.insert("eventTime".into(), json!(self.event_time.to_rfc3339()));
        out.insert("triggeredByAnonymizeRequest".into(), json!(false));
        out.insert("entityEventSequence".into(), json!(self.seq.to_string()));
        if let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&self.body) {
            out.extend(body);
        }
        Value::Object(out)
    }

    /// The envelope (the JWS claim `data`, parsed once): `data` and
    /// `identity` stay JSON text. The site is the `instanceId`.
    pub fn envelope(&self) -> Value {
        let mut out = json!({
            "eventType": self.event_type,
            "instanceId": self.site.to_string(),
            "data": self.domain_event().to_string(),
            "accountInfo": { "siteId": self.site.to_string() },
        });
        if let Some(identity) = &self.identity {
            out["identity"] = json!(identity);
        }
        out
    }

    /// What orders this event's deliveries: its entity, or for the older
    /// API's assign events the badge and the member.
    pub fn order_key(&self) -> Vec<u8> {
        let mut key = self.entity_id.as_bytes().to_vec();
        if self.event_type().is_some_and(EventType::ordered_by_member) {
            if let Some(member) = serde_json::from_str::<Value>(&self.body)
                .ok()
                .and_then(|b| b["actionEvent"]["body"]["memberId"].as_str().map(str::to_owned))
                .and_then(|m| Uuid::parse_str(&m).ok())
            {
                key.extend_from_slice(member.as_bytes());
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::Actor;

    #[test]
    fn an_actor_survives_its_identity_json() {
        for actor in [
            Actor::ApiKey("key-1".into()),
            Actor::Member("m-1".into()),
            Actor::Visitor("v-1".into()),
            Actor::Unknown,
        ] {
            assert_eq!(Actor::from_identity_json(&actor.identity_json()), actor);
        }
        assert_eq!(Actor::from_identity_json("not json"), Actor::Unknown);
        assert_eq!(Actor::from_identity_json(r#"{"identityType":"APP"}"#), Actor::Unknown);
    }
}
