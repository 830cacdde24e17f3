//! The web console's files, compiled into the binary: `cargo build` alone makes it, and it
//! needs no network at run time. The console is plain ES modules written by hand (no bundler,
//! so nothing generated to keep in sync); it is a client like any SDK — it signs the same AWS
//! API calls with SigV4 in the browser — so this crate only hands out files.

/// One file of the console.
pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! assets {
    ($($name:literal => $kind:literal),* $(,)?) => {
        const ASSETS: &[(&str, &str, &[u8])] = &[
            $(($name, $kind, include_bytes!(concat!("../assets/", $name))),)*
        ];
    };
}

assets! {
    "index.html" => "text/html; charset=utf-8",
    "console.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "aws.js" => "text/javascript; charset=utf-8",
    "ui.js" => "text/javascript; charset=utf-8",
    "plot.js" => "text/javascript; charset=utf-8",
    "pages/tables.js" => "text/javascript; charset=utf-8",
    "pages/items.js" => "text/javascript; charset=utf-8",
    "pages/streams.js" => "text/javascript; charset=utf-8",
    "pages/metrics.js" => "text/javascript; charset=utf-8",
    "pages/alarms.js" => "text/javascript; charset=utf-8",
    "pages/scaling.js" => "text/javascript; charset=utf-8",
    "pages/backups.js" => "text/javascript; charset=utf-8",
    "pages/security.js" => "text/javascript; charset=utf-8",
    "pages/clock.js" => "text/javascript; charset=utf-8",
}

/// Where the console is served.
pub const PREFIX: &str = "/console/";

/// The file a path under [`PREFIX`] names (`/console/` is `index.html`), if there is one.
pub fn asset(path: &str) -> Option<Asset> {
    let name = path.strip_prefix(PREFIX)?;
    let name = if name.is_empty() { "index.html" } else { name };
    let &(_, content_type, body) = ASSETS.iter().find(|(n, _, _)| *n == name)?;
    Some(Asset {
        content_type,
        body: override_from_disk(name).unwrap_or(body),
    })
}

/// In a debug build, `DYNOSTACK_CONSOLE_DIR` serves the console's files from that directory
/// instead (only the names above), so working on it needs a browser reload, not a rebuild.
#[cfg(debug_assertions)]
fn override_from_disk(name: &str) -> Option<&'static [u8]> {
    let dir = std::env::var_os("DYNOSTACK_CONSOLE_DIR")?;
    let bytes = std::fs::read(std::path::Path::new(&dir).join(name)).ok()?;
    // Leaked on purpose: a development aid, one copy per request, never in a release build.
    Some(Box::leak(bytes.into_boxed_slice()))
}

#[cfg(not(debug_assertions))]
fn override_from_disk(_: &str) -> Option<&'static [u8]> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_its_files_and_nothing_else() {
        let index = asset("/console/").map(|a| a.content_type);
        assert_eq!(index, Some("text/html; charset=utf-8"));
        assert!(asset("/console/pages/tables.js").is_some());
        assert!(asset("/console/../Cargo.toml").is_none());
        assert!(asset("/console/nope.js").is_none());
        assert!(asset("/other/app.js").is_none());
    }

    #[test]
    fn every_module_the_console_imports_is_served() {
        for (name, _, body) in ASSETS {
            let text = String::from_utf8_lossy(body);
            for line in text
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                let Some(spec) = line.split(['"', '\'']).nth(1) else {
                    continue;
                };
                let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let target = parts.join("/");
                assert!(
                    ASSETS.iter().any(|(n, _, _)| *n == target),
                    "{name} imports {spec}, which is not served"
                );
            }
        }
    }
}
