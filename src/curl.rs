//! `quilt-mcp curl`: just enough of curl for the deployment reference's shell health check,
//! `curl -f http://localhost:8000/health || exit 1`, in an image that has no real curl.
//!
//! The image's `/usr/bin/curl` is a two-line script that runs this. It GETs one `http://` or
//! `https://` URL and writes the body to stdout, like curl. `-f`/`--fail` turns an HTTP status
//! of 400 or more into exit 22 with curl's message; `-s`, `-S`, `-o FILE` and `-m SECONDS`
//! (and their long forms) mean what they mean to curl. Any other option is refused with exit 2
//! rather than ignored, so a health check written for more than this fails loudly. Exit codes
//! are curl's: 3 bad URL, 6 unknown host, 7 cannot connect, 22 HTTP error under `-f`,
//! 23 cannot write the output, 28 timeout, 56 any other failure while receiving.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

/// Without `-m`, give up after this long (curl itself waits forever; a health check must not).
const DEFAULT_MAX_TIME: Duration = Duration::from_secs(30);

/// The supported subset of curl's command line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CurlArgs {
    /// `-f`: exit 22 on an HTTP status of 400 or more.
    pub fail: bool,
    /// `-s`: no error messages (unless `-S`).
    pub silent: bool,
    /// `-S`: error messages even with `-s`.
    pub show_error: bool,
    /// `-o FILE`: the body goes there instead of stdout.
    pub output: Option<PathBuf>,
    /// `-m SECONDS`: the whole transfer's time limit.
    pub max_time: Option<Duration>,
    /// The one URL.
    pub url: String,
}

/// Parses the arguments after `curl`.
pub fn parse(args: &[String]) -> Result<CurlArgs, String> {
    let mut parsed = CurlArgs::default();
    let mut url = None;
    let mut items = args.iter();
    while let Some(arg) = items.next() {
        // Short options may be clustered (`-fsS`); one taking a value must come last.
        let names: Vec<String> = match arg.strip_prefix("--") {
            Some(long) => vec![long.to_string()],
            None if arg.starts_with('-') && arg.len() > 1 => {
                arg.chars().skip(1).map(String::from).collect()
            }
            None if url.is_none() => {
                url = Some(arg.clone());
                continue;
            }
            None => {
                return Err(format!(
                    "curl: only one URL is supported (also got {arg:?})"
                ));
            }
        };
        for name in names {
            match name.as_str() {
                "f" | "fail" => parsed.fail = true,
                "s" | "silent" => parsed.silent = true,
                "S" | "show-error" => parsed.show_error = true,
                "o" | "output" => parsed.output = Some(PathBuf::from(value(&mut items, &name)?)),
                "m" | "max-time" => {
                    let text = value(&mut items, &name)?;
                    let seconds = text
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s > 0.0)
                        .ok_or_else(|| format!("curl: -m {text:?} is not a number of seconds"))?;
                    parsed.max_time = Some(Duration::from_secs_f64(seconds));
                }
                other => {
                    return Err(format!(
                        "curl: option {other:?} is not supported: this image's curl is quilt-mcp's minimal stand-in for health checks (-f, -s, -S, -o FILE, -m SECONDS, one URL)"
                    ));
                }
            }
        }
    }
    parsed.url = url.ok_or("curl: no URL given")?;
    Ok(parsed)
}

fn value<'a>(items: &mut impl Iterator<Item = &'a String>, name: &str) -> Result<&'a str, String> {
    items
        .next()
        .map(String::as_str)
        .ok_or_else(|| format!("curl: option {name:?} needs a value"))
}

/// GETs the URL; returns curl's exit code.
pub fn run(args: &CurlArgs) -> u8 {
    let report = |code: u8, message: String| {
        if !args.silent || args.show_error {
            eprintln!("curl: ({code}) {message}");
        }
        code
    };
    let lower = args.url.to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        return report(3, format!("URL {:?} is not http:// or https://", args.url));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(args.max_time.unwrap_or(DEFAULT_MAX_TIME)))
        // curl follows no redirects without -L.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into();
    let mut response = match agent.get(&args.url).call() {
        Ok(response) => response,
        Err(error) => return report(transfer_code(&error), error.to_string()),
    };
    let status = response.status().as_u16();
    if args.fail && status >= 400 {
        return report(22, format!("The requested URL returned error: {status}"));
    }
    let mut body = Vec::new();
    if let Err(error) = response.body_mut().as_reader().read_to_end(&mut body) {
        return report(56, format!("failure receiving the body: {error}"));
    }
    let written = match &args.output {
        Some(path) => std::fs::write(path, &body),
        None => std::io::stdout().write_all(&body),
    };
    match written {
        Ok(()) => 0,
        Err(error) => report(23, format!("cannot write the body: {error}")),
    }
}

/// curl's exit code for a failed transfer.
fn transfer_code(error: &ureq::Error) -> u8 {
    match error {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => 3,
        ureq::Error::HostNotFound => 6,
        ureq::Error::ConnectionFailed => 7,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => 7,
        ureq::Error::Timeout(_) => 28,
        _ => 56,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_references_health_check_parses() {
        let parsed = parse(&args(&["-f", "http://localhost:8000/health"])).unwrap();
        assert!(parsed.fail && !parsed.silent);
        assert_eq!(parsed.url, "http://localhost:8000/health");
    }

    #[test]
    fn clusters_long_forms_and_values() {
        let parsed = parse(&args(&[
            "-fsS",
            "--max-time",
            "2.5",
            "-o",
            "/dev/null",
            "http://x/",
        ]))
        .unwrap();
        assert!(parsed.fail && parsed.silent && parsed.show_error);
        assert_eq!(parsed.max_time, Some(Duration::from_millis(2500)));
        assert_eq!(parsed.output, Some(PathBuf::from("/dev/null")));
        assert_eq!(
            parse(&args(&["--fail", "--silent", "http://x/"])).unwrap(),
            CurlArgs {
                fail: true,
                silent: true,
                url: "http://x/".into(),
                ..CurlArgs::default()
            }
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            &["-X", "POST", "http://x/"][..],
            &["--retry", "3", "http://x/"],
            &["http://a/", "http://b/"],
            &["-f"],
            &["-m", "soon", "http://x/"],
            &["-o"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn exit_codes_follow_curl() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/health", closed.local_addr().unwrap());
        drop(closed);
        let quiet = |url: &str| CurlArgs {
            fail: true,
            silent: true,
            url: url.into(),
            ..CurlArgs::default()
        };
        assert_eq!(run(&quiet(&url)), 7);
        assert_eq!(run(&quiet("ftp://x/")), 3);
    }
}
