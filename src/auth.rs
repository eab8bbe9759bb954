//! API keys: created once (`sg_` + 32 random bytes, base64url) and stored only as their SHA-256,
//! listed by name and prefix, revoked by name; and the [`Caller`] a request's
//! `Authorization: Bearer KEY` header identifies. The `apikey` command and the tests use the
//! same functions. Keys are never logged.

use std::io::Read as _;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::db::sql::Sql;

/// What a key may do: `read` (queries, when the server requires a key for them) or `write`
/// (queries and mutations).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    #[default]
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    fn parse(stored: &str) -> Option<Self> {
        match stored {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
}

/// Who is calling, as the HTTP layer found out from the request's `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A header that is not a valid, unrevoked key; the reason is safe to show the client.
    Rejected(&'static str),
    /// A valid key, by its name.
    Key { name: String, scope: Scope },
}

impl Caller {
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Self::Key { .. })
    }
}

/// Every key starts with this, so that leaked keys are easy to recognise (and scan for).
pub const KEY_PREFIX: &str = "sg_";
/// How many characters of a key are stored in clear, for listing.
pub const SHOWN_PREFIX_LEN: usize = 8;

/// A fresh key: `sg_` + 32 bytes from the operating system's generator, base64url.
pub fn generate_key() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What is stored for a key: its SHA-256, lowercase hex. A fast hash is enough for 256 random
/// bits (nothing to brute-force), and it lets a request's key be found by one indexed lookup.
pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A key just created: `key` is shown once and never stored.
#[derive(Debug)]
pub struct NewKey {
    pub name: String,
    pub scope: Scope,
    pub key: String,
    pub prefix: String,
}

/// A stored key as listed (without the key).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    pub name: String,
    pub scope: Scope,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("an API key named \"{0}\" already exists (names are unique, revoked keys included)")]
    NameTaken(String),
    #[error("an API key name must be 1 to 100 printable characters")]
    BadName,
    #[error("no API key named \"{0}\"")]
    NotFound(String),
    #[error("cannot read random bytes from the operating system: {0}")]
    Random(#[from] std::io::Error),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

async fn find(
    conn: &impl ConnectionTrait,
    column: &str,
    value: &str,
) -> Result<Option<KeyInfo>, DbErr> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT name, scope, key_prefix, created_at, revoked_at FROM api_key WHERE ")
        .push(column)
        .push(" = ")
        .bind(value.to_owned());
    conn.query_one_raw(sql.build())
        .await?
        .map(|row| info(&row))
        .transpose()
}

fn info(row: &sea_orm::QueryResult) -> Result<KeyInfo, DbErr> {
    let scope: String = row.try_get("", "scope")?;
    Ok(KeyInfo {
        name: row.try_get("", "name")?,
        scope: Scope::parse(&scope).unwrap_or_default(),
        prefix: row.try_get("", "key_prefix")?,
        created_at: row.try_get("", "created_at")?,
        revoked_at: row.try_get("", "revoked_at")?,
    })
}

/// Creates a key called `name`; the returned [`NewKey::key`] is the only copy.
pub async fn create_key(db: &Db, name: &str, scope: Scope) -> Result<NewKey, KeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(KeyError::BadName);
    }
    if find(&db.conn, "name", name).await?.is_some() {
        return Err(KeyError::NameTaken(name.to_owned()));
    }
    let key = generate_key()?;
    let prefix: String = key.chars().take(SHOWN_PREFIX_LEN).collect();
    let mut sql = Sql::new(db.backend());
    sql.push("INSERT INTO api_key (name, scope, key_hash, key_prefix, created_at) VALUES (")
        .bind(name.to_owned())
        .push(", ")
        .bind(scope.as_str())
        .push(", ")
        .bind(hash_key(&key))
        .push(", ")
        .bind(prefix.clone())
        .push(", ")
        .bind(Utc::now())
        .push(")");
    db.conn.execute_raw(sql.build()).await?;
    Ok(NewKey {
        name: name.to_owned(),
        scope,
        key,
        prefix,
    })
}

/// Every key, oldest first.
pub async fn list_keys(db: &Db) -> Result<Vec<KeyInfo>, DbErr> {
    let sql = "SELECT name, scope, key_prefix, created_at, revoked_at FROM api_key ORDER BY created_at, id";
    let rows = db
        .conn
        .query_all_raw(sea_orm::Statement::from_string(db.backend(), sql))
        .await?;
    rows.iter().map(info).collect()
}

/// Revokes the key `name`; `Ok(false)` when it was revoked already.
pub async fn revoke_key(db: &Db, name: &str) -> Result<bool, KeyError> {
    let mut sql = Sql::new(db.backend());
    sql.push("UPDATE api_key SET revoked_at = ")
        .bind(Utc::now())
        .push(" WHERE name = ")
        .bind(name.trim().to_owned())
        .push(" AND revoked_at IS NULL");
    if db.conn.execute_raw(sql.build()).await?.rows_affected() > 0 {
        return Ok(true);
    }
    match find(&db.conn, "name", name.trim()).await? {
        Some(_) => Ok(false),
        None => Err(KeyError::NotFound(name.trim().to_owned())),
    }
}

/// The caller an `Authorization` header value names: one query, and none without a header
/// or for a header that cannot hold one of our keys.
pub async fn identify(conn: &impl ConnectionTrait, header: Option<&str>) -> Result<Caller, DbErr> {
    let Some(header) = header else {
        return Ok(Caller::Anonymous);
    };
    let key = match header.trim().split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => key.trim(),
        _ => {
            return Ok(Caller::Rejected(
                "the Authorization header must be `Bearer <API key>`",
            ));
        }
    };
    let invalid = Caller::Rejected("the API key is not valid");
    if !key.starts_with(KEY_PREFIX) || key.len() > 128 {
        return Ok(invalid);
    }
    Ok(match find(conn, "key_hash", &hash_key(key)).await? {
        None => invalid,
        Some(found) if found.revoked_at.is_some() => Caller::Rejected("the API key was revoked"),
        Some(found) => Caller::Key {
            name: found.name,
            scope: found.scope,
        },
    })
}

/// The `apikey` command: create (prints the key once, on standard output), list, revoke.
pub async fn run_command(db: &Db, command: crate::config::ApiKeyCommand) -> anyhow::Result<()> {
    use crate::config::ApiKeyCommand;
    match command {
        ApiKeyCommand::Create { name, scope, .. } => {
            let created = create_key(db, &name, scope).await?;
            eprintln!(
                "created the {} key \"{}\"; store it now, it cannot be shown again:",
                created.scope.as_str(),
                created.name
            );
            println!("{}", created.key);
        }
        ApiKeyCommand::List { .. } => {
            let keys = list_keys(db).await?;
            let width = keys
                .iter()
                .map(|k| k.name.chars().count())
                .max()
                .unwrap_or(0)
                .max(4);
            println!(
                "{:width$}  SCOPE  PREFIX    CREATED                REVOKED",
                "NAME"
            );
            let time = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%SZ").to_string();
            for key in keys {
                println!(
                    "{:width$}  {:5}  {:8}  {:21}  {}",
                    key.name,
                    key.scope.as_str(),
                    key.prefix,
                    time(key.created_at),
                    key.revoked_at.map_or_else(|| "-".to_owned(), time)
                );
            }
        }
        ApiKeyCommand::Revoke { name, .. } => {
            if revoke_key(db, &name).await? {
                eprintln!("revoked the key \"{}\"", name.trim());
            } else {
                eprintln!("the key \"{}\" was already revoked", name.trim());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hashed() {
        let (a, b) = (generate_key().unwrap(), generate_key().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX) && a.len() == 3 + 43, "{a}");
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
