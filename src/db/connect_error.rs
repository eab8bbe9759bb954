//! Why a database could not be opened, said once and plainly for the operator: the URL's
//! scheme when it is not one we serve, the SQLite file's directory when it is missing, the
//! PostgreSQL server's address when nothing answers there. The driver's own text named its
//! cause twice ("Connection Error: X: X"), and said "pool timed out" for a server that
//! refused the connection.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use sea_orm::DbErr;

/// A problem with `url` itself, found before connecting.
pub fn before_connecting(url: &str) -> Option<String> {
    let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
    if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
        return Some(format!(
            "\"{scheme}\" databases are not supported: use sqlite://FILE (the default) or \
             postgres://USER@HOST:PORT/DATABASE"
        ));
    }
    let file = super::sqlite_file(url)?;
    let directory = file.parent().filter(|d| !d.as_os_str().is_empty())?;
    (!directory.is_dir()).then(|| {
        format!(
            "the directory {} of the SQLite file does not exist",
            directory.display()
        )
    })
}

/// `err`, a failure to connect to `url`, in one line.
pub fn explain(url: &str, err: &DbErr) -> String {
    let text = err.to_string();
    // sea-orm's text repeats its cause after a colon ("X: X"); keep it once.
    let text = text.strip_prefix("Connection Error: ").unwrap_or(&text);
    let half = text.len().saturating_sub(2) / 2;
    let mut text = match (text.get(..half), text.get(half..)) {
        (Some(first), Some(rest)) if rest.strip_prefix(": ") == Some(first) => first.to_owned(),
        _ => text.to_owned(),
    };
    // The server's own words, without the driver's wrapping and the server's source line.
    if let Some(said) = text.strip_prefix("error returned from database: ") {
        text = match postgres_address(url) {
            Some(_) => format!("the server says: {said}"),
            None => said.to_owned(),
        };
    }
    if let Some((said, line)) = text.rsplit_once(" at line ")
        && !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
    {
        text = said.to_owned();
    }
    if text.contains("pool timed out")
        && let Some(address) = postgres_address(url)
        && let Err(cause) = reachable(&address)
    {
        text = format!("nothing answers at {address}: {cause}");
    }
    if text.contains("unable to open database file") {
        text.push_str(" (can this user write to the file and its directory?)");
    }
    text
}

/// `host:port` of a PostgreSQL URL.
fn postgres_address(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return None;
    }
    let host = parsed.host_str().filter(|h| !h.is_empty())?;
    Some(format!("{host}:{}", parsed.port().unwrap_or(5432)))
}

fn reachable(address: &str) -> std::io::Result<()> {
    let mut last = std::io::Error::other("the host name has no address");
    for socket in address.to_socket_addrs()? {
        match TcpStream::connect_timeout(&socket, Duration::from_secs(2)) {
            Ok(_) => return Ok(()),
            Err(err) => last = err,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_we_cannot_serve_are_named() {
        let mysql = before_connecting("mysql://root@localhost/db").unwrap();
        assert!(
            mysql.starts_with("\"mysql\" databases are not supported"),
            "{mysql}"
        );
        let missing = before_connecting("sqlite:///no/such/directory/x.db?mode=rwc").unwrap();
        assert_eq!(
            missing,
            "the directory /no/such/directory of the SQLite file does not exist"
        );
        assert_eq!(before_connecting("sqlite://studygraph.db?mode=rwc"), None);
        assert_eq!(before_connecting("sqlite::memory:"), None);
        assert_eq!(before_connecting("postgres://u@127.0.0.1/db"), None);
    }

    #[test]
    fn a_repeated_cause_is_said_once() {
        let err = DbErr::Conn(sea_orm::RuntimeErr::Internal(
            "pool timed out while waiting for an open connection: pool timed out while waiting for an open connection".into(),
        ));
        assert_eq!(
            explain("sqlite://x.db", &err),
            "pool timed out while waiting for an open connection"
        );
    }

    #[test]
    fn the_servers_words_are_kept_without_its_source_line() {
        let said = "error returned from database: database \"x\" does not exist at line 948";
        let err = DbErr::Conn(sea_orm::RuntimeErr::Internal(format!("{said}: {said}")));
        assert_eq!(
            explain("postgres://u@127.0.0.1/x", &err),
            "the server says: database \"x\" does not exist"
        );
    }

    #[test]
    fn a_server_that_refuses_is_named_by_its_address() {
        // A port nothing listens on: bind one, then let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = DbErr::Conn(sea_orm::RuntimeErr::Internal(
            "pool timed out while waiting for an open connection".into(),
        ));
        let text = explain(&format!("postgres://postgres@127.0.0.1:{port}/db"), &err);
        assert!(
            text.starts_with(&format!("nothing answers at 127.0.0.1:{port}: ")),
            "{text}"
        );
    }
}
