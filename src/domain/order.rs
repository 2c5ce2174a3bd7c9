use super::{BadgeId, FieldViolation};

/// Where `moveBadge` puts a badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    First,
    Last,
    After(BadgeId),
}

/// A change to a site's badge order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderChange {
    /// These badges first, in this order; the rest keep their relative order after them.
    Front(Vec<BadgeId>),
    Move {
        id: BadgeId,
        position: Position,
    },
}

impl OrderChange {
    /// `moveBadge`: `id` to `position`. A badge cannot go after itself;
    /// `anchor_field` names the request field that said so.
    pub fn move_badge(id: BadgeId, position: Position, anchor_field: &str) -> Result<Self, FieldViolation> {
        if position == Position::After(id) {
            return Err(FieldViolation::new(
                anchor_field,
                "CUSTOM",
                format!("`{anchor_field}` is the badge being moved: a badge cannot be moved after itself"),
            ));
        }
        Ok(OrderChange::Move { id, position })
    }

    /// The new order, or the first named badge that is not in `current`.
    pub fn apply(&self, current: &[BadgeId]) -> Result<Vec<BadgeId>, BadgeId> {
        let known = |id: &BadgeId| {
            if current.contains(id) {
                Ok(())
            } else {
                Err(*id)
            }
        };
        match self {
            OrderChange::Front(ids) => {
                ids.iter().try_for_each(known)?;
                let mut next = ids.clone();
                next.extend(current.iter().filter(|id| !ids.contains(id)));
                Ok(next)
            }
            OrderChange::Move { id, position } => {
                known(id)?;
                let mut next: Vec<BadgeId> = current.iter().copied().filter(|b| b != id).collect();
                match position {
                    Position::First => next.insert(0, *id),
                    Position::Last => next.push(*id),
                    // `move_badge` refuses this; a change made another way leaves the order as it is.
                    Position::After(anchor) if anchor == id => return Ok(current.to_vec()),
                    Position::After(anchor) => {
                        let at = next.iter().position(|b| b == anchor).ok_or(*anchor)?;
                        next.insert(at + 1, *id);
                    }
                }
                Ok(next)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn ids(n: u128) -> Vec<BadgeId> {
        (1..=n).map(|i| BadgeId::from_uuid(Uuid::from_u128(i))).collect()
    }

    #[test]
    fn front_puts_named_badges_first_and_keeps_the_rest() {
        let b = ids(4);
        let next = OrderChange::Front(vec![b[2], b[0]]).apply(&b).unwrap();
        assert_eq!(next, vec![b[2], b[0], b[1], b[3]]);
    }

    #[test]
    fn moves() {
        let b = ids(4);
        let mv = |id, position| OrderChange::Move { id, position }.apply(&b).unwrap();
        assert_eq!(mv(b[3], Position::First), vec![b[3], b[0], b[1], b[2]]);
        assert_eq!(mv(b[0], Position::Last), vec![b[1], b[2], b[3], b[0]]);
        assert_eq!(mv(b[0], Position::After(b[2])), vec![b[1], b[2], b[0], b[3]]);
        assert_eq!(mv(b[3], Position::After(b[0])), vec![b[0], b[3], b[1], b[2]]);
    }

    #[test]
    fn a_badge_cannot_move_after_itself() {
        let b = ids(2);
        let refused = OrderChange::move_badge(b[0], Position::After(b[0]), "moveAfterBadgeId").unwrap_err();
        assert_eq!(refused.field, "moveAfterBadgeId");
        assert_eq!(
            OrderChange::move_badge(b[0], Position::After(b[1]), "moveAfterBadgeId"),
            Ok(OrderChange::Move {
                id: b[0],
                position: Position::After(b[1])
            })
        );
    }

    #[test]
    fn unknown_badges_are_named() {
        let b = ids(2);
        let stranger = BadgeId::from_uuid(Uuid::from_u128(99));
        assert_eq!(OrderChange::Front(vec![stranger]).apply(&b), Err(stranger));
        let after = OrderChange::Move {
            id: b[0],
            position: Position::After(stranger),
        };
        assert_eq!(after.apply(&b), Err(stranger));
    }
}
