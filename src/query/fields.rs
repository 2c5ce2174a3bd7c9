use super::ast::Order;

/// The type of a field, which decides the values and operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Guid,
    Date,
    Bool,
    Int,
    /// A set of strings kept in a side table: `(owner_pk, value)` rows.
    /// Filtered with `$hasSome` / `$hasAll` through `EXISTS` sub-queries.
    TagSet {
        table: &'static str,
        owner_column: &'static str,
        value_column: &'static str,
        kind_column: &'static str,
        kind: &'static str,
    },
    /// A set of GUIDs kept in a side table of `(owner_pk, id)` rows (a
    /// page's badges), filtered like a tag set.
    IdSet {
        table: &'static str,
        owner_column: &'static str,
        value_column: &'static str,
    },
}

impl Kind {
    /// Is this a set kept in a side table (filtered with `$hasSome`/`$hasAll`)?
    pub fn is_set(self) -> bool {
        matches!(self, Kind::TagSet { .. } | Kind::IdSet { .. })
    }
}

/// One field of an entity as the query language sees it.
#[derive(Debug, PartialEq)]
pub struct Field {
    /// The REST name (`createdDate`); the first one is used in errors.
    pub names: &'static [&'static str],
    /// The SQL expression for the column (qualified where joins need it).
    pub column: &'static str,
    pub kind: Kind,
    pub filterable: bool,
    pub sortable: bool,
    /// Text fields: the column holding the text's simple case folding
    /// (`domain::fold_case`), which case-insensitive `$startsWith` reads.
    pub folded: Option<&'static str>,
}

impl Field {
    pub fn name(&self) -> &'static str {
        self.names[0]
    }
}

/// The query-language view of one table.
#[derive(Debug)]
pub struct Entity {
    pub name: &'static str,
    pub fields: &'static [Field],
    /// The unique id, the last sort key of every query.
    pub id: &'static Field,
    /// The order used when a query names no sort (before the id).
    pub default_sort: &'static [(&'static Field, Order)],
    /// The column that ties internal rows (e.g. tags) to this entity.
    pub pk_column: &'static str,
}

impl Entity {
    /// Finds a field by its REST name or its SDK alias (`_id`, `_createdDate`, …).
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.names.contains(&name))
    }
}
