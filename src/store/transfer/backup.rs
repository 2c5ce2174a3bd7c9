//! A consistent copy of a live SQLite database. `VACUUM INTO` reads one
//! snapshot on a reader connection, so `serve` (or an import) keeps
//! writing meanwhile, and writes a compact new file.

use crate::query::Dialect;
use crate::store::{SqlStore, StoreError, StoreResult};

impl SqlStore {
    /// Writes a copy of the database to `path`, which must not exist yet.
    pub async fn backup_into(&self, path: &std::path::Path) -> StoreResult<()> {
        if self.dialect != Dialect::Sqlite {
            return Err(StoreError::Config(
                "backup copies SQLite databases; for PostgreSQL use pg_dump (see the README)".into(),
            ));
        }
        if path.exists() {
            return Err(StoreError::Config(format!("{} exists already", path.display())));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Config(format!("{} is not a UTF-8 path", path.display())))?;
        let mut conn = self.read.acquire().await?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&mut *conn).await?;
        Ok(())
    }
}
