//! Build script: fetches the GraphiQL playground's browser assets with npm and
//! hands them to `src/http/playground.rs` for embedding, so the binary serves
//! the playground without any CDN.
//!
//! * If npm is on PATH and `STUDYGRAPH_PLAYGROUND` is not `fallback`, runs
//!   `npm ci` on a copy of `playground/package.json` + `package-lock.json` in
//!   `$OUT_DIR/playground/`, copies the few bundles the page needs into
//!   `$OUT_DIR/playground-assets/` and sets `cfg(playground_full)`.
//! * Anything going wrong (no npm, no network, npm error, timeout) prints a
//!   `cargo:warning` and leaves the small built-in playground in place: a build
//!   with only a Rust toolchain always succeeds.
//! * `STUDYGRAPH_PLAYGROUND=full` turns such a failure into a build error (for
//!   release pipelines that must ship the full playground).
//! * The assets are reused while the lock file is unchanged, so rebuilds don't
//!   run npm again.
//!
//! Std only: no build-dependencies.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// `(path inside $OUT_DIR/playground, name under $OUT_DIR/playground-assets)`.
/// Keep in sync with `ASSETS` in `src/http/playground.rs`.
const ASSETS: &[(&str, &str)] = &[
    (
        "node_modules/react/umd/react.production.min.js",
        "react.production.min.js",
    ),
    (
        "node_modules/react-dom/umd/react-dom.production.min.js",
        "react-dom.production.min.js",
    ),
    ("node_modules/graphiql/graphiql.min.js", "graphiql.min.js"),
    ("node_modules/graphiql/graphiql.min.css", "graphiql.min.css"),
];

/// Written last into `$OUT_DIR/playground-assets/`; holds the hash of the
/// inputs the assets came from.
const STAMP_FILE: &str = ".stamp";

/// Upper bound for one `npm ci` run before it is killed.
const NPM_TIMEOUT: Duration = Duration::from_secs(600);

const ENV_MODE: &str = "STUDYGRAPH_PLAYGROUND";

fn main() {
    println!("cargo:rustc-check-cfg=cfg(playground_full)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=playground/package.json");
    println!("cargo:rerun-if-changed=playground/package-lock.json");
    println!("cargo:rerun-if-env-changed={ENV_MODE}");

    let mode = env::var(ENV_MODE).unwrap_or_default();
    let mode = mode.trim().to_ascii_lowercase();
    let strict = match mode.as_str() {
        "fallback" => return,
        "full" => true,
        "" | "auto" => false,
        other => {
            println!(
                "cargo:warning={ENV_MODE}={other:?} is not one of fallback, full, auto; treating it as auto"
            );
            false
        }
    };
    // docs.rs and similar sandboxes have no network: don't even try.
    if !strict && env::var_os("DOCS_RS").is_some() {
        return;
    }

    match full_assets() {
        Ok(stamp) => {
            println!("cargo:rustc-cfg=playground_full");
            println!("cargo:rustc-env=STUDYGRAPH_PLAYGROUND_STAMP={stamp}");
        }
        Err(reason) if strict => {
            eprintln!(
                "error: {ENV_MODE}=full but the GraphiQL assets could not be built: {reason}"
            );
            std::process::exit(1);
        }
        Err(reason) => {
            println!(
                "cargo:warning=GraphiQL playground assets unavailable ({reason}); using the small built-in playground instead. Install Node.js/npm with registry access and rebuild (e.g. `touch build.rs`) for the full GraphiQL page, or set {ENV_MODE}=fallback to silence this."
            );
        }
    }
}

/// Makes sure `$OUT_DIR/playground-assets/` holds the assets for the current
/// lock file, running npm if needed. Returns the stamp (hash of the inputs).
fn full_assets() -> Result<String, String> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let src = manifest_dir.join("playground");
    let package_json = read(&src.join("package.json"))?;
    let lock = read(&src.join("package-lock.json"))?;

    let stamp = stamp(&package_json, &lock);
    let assets_dir = out_dir.join("playground-assets");
    if is_current(&assets_dir, &stamp) {
        return Ok(stamp);
    }

    let npm = find_npm().ok_or("npm not found on PATH")?;

    let work = out_dir.join("playground");
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    write(&work.join("package.json"), &package_json)?;
    write(&work.join("package-lock.json"), &lock)?;

    let log_path = work.join("npm-ci.log");
    let started = Instant::now();
    run_npm_ci(&npm, &work, &log_path).map_err(|e| {
        let tail = log_tail(&log_path);
        if tail.is_empty() {
            e
        } else {
            format!("{e}: {tail}")
        }
    })?;
    println!("npm ci finished in {:.1?}", started.elapsed());

    // Start from an empty directory so a half-copied set is never reused:
    // the stamp is written only after every asset is in place.
    if assets_dir.exists() {
        fs::remove_dir_all(&assets_dir)
            .map_err(|e| format!("clearing {}: {e}", assets_dir.display()))?;
    }
    fs::create_dir_all(&assets_dir)
        .map_err(|e| format!("creating {}: {e}", assets_dir.display()))?;
    for (from, to) in ASSETS {
        let from = work.join(from);
        let bytes = read(&from)?;
        if bytes.is_empty() {
            return Err(format!("{} is empty", from.display()));
        }
        write(&assets_dir.join(to), &bytes)?;
    }
    write(&assets_dir.join(STAMP_FILE), stamp.as_bytes())?;

    // node_modules is ~55 MB and `npm ci` starts from scratch anyway.
    let _ = fs::remove_dir_all(work.join("node_modules"));
    Ok(stamp)
}

fn is_current(assets_dir: &Path, stamp: &str) -> bool {
    fs::read_to_string(assets_dir.join(STAMP_FILE)).is_ok_and(|s| s.trim() == stamp)
        && ASSETS.iter().all(|(_, name)| {
            fs::metadata(assets_dir.join(name)).is_ok_and(|m| m.is_file() && m.len() > 0)
        })
}

fn find_npm() -> Option<String> {
    let candidates: &[&str] = if cfg!(windows) {
        &["npm.cmd", "npm"]
    } else {
        &["npm"]
    };
    candidates.iter().find_map(|npm| {
        Command::new(npm)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()
            .filter(|s| s.success())
            .map(|_| (*npm).to_string())
    })
}

fn run_npm_ci(npm: &str, work: &Path, log_path: &Path) -> Result<(), String> {
    let log = fs::File::create(log_path).map_err(|e| format!("creating npm log: {e}"))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("creating npm log: {e}"))?;
    let mut child = Command::new(npm)
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            // Fail within seconds, not minutes, on a closed network.
            "--fetch-retries=1",
            "--fetch-retry-mintimeout=2000",
            "--fetch-retry-maxtimeout=10000",
            "--fetch-timeout=120000",
        ])
        .current_dir(work)
        .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("running `{npm} ci`: {e}"))?;

    let deadline = Instant::now() + NPM_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("`{npm} ci` failed ({status})")),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{npm} ci` timed out after {}s",
                    NPM_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for `{npm} ci`: {e}")),
        }
    }
}

/// The last few non-empty lines of npm's output, joined on one line (a
/// `cargo:warning` can't span lines).
fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains("A complete log of this run"))
        .collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
    let mut tail: String = tail.chars().filter(|c| !c.is_control()).collect();
    if tail.len() > 400 {
        let mut cut = 400;
        while !tail.is_char_boundary(cut) {
            cut -= 1;
        }
        tail.truncate(cut);
        tail.push('…');
    }
    tail
}

/// FNV-1a (64-bit) over everything the assets depend on; stable across Rust
/// versions, unlike `DefaultHasher`.
fn stamp(package_json: &[u8], lock: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    feed(package_json);
    feed(lock);
    for (from, to) in ASSETS {
        feed(from.as_bytes());
        feed(to.as_bytes());
    }
    format!("{h:016x}")
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("{name} is not set"))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}
