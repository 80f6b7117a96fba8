//! Log output: JSON lines when stdout is not a terminal (CloudWatch reads them), readable text
//! on a terminal. Every line inside a request carries the request's span, hence its id.
//!
//! Three rules hold whatever `MCP_LOG_LEVEL` says:
//! - **The AWS SDK logs at info at most.** At debug and trace its crates print the signing
//!   request, with the access key id and `X-Amz-Security-Token`: the caller's credentials.
//! - **Text is escaped.** Fields can hold text from callers and the catalog; in text format a
//!   newline or an escape sequence in one would start a forged line or drive the terminal, so
//!   control characters are written as escapes (JSON escapes them itself).
//! - **A line is bounded** ([`MAX_LINE_BYTES`]): a longer one is cut, and in JSON format
//!   replaced by a short, valid line holding its start (CloudWatch drops events over 256 KiB).

use std::fmt;
use std::io::{self, IsTerminal, Write};

use tracing::Metadata;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::filter::{LevelFilter, Targets, filter_fn};
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::fmt::{FormatFields, MakeWriter};
use tracing_subscriber::prelude::*;

use crate::config::LogFormat;

/// The longest line written; longer ones are cut.
pub const MAX_LINE_BYTES: usize = 16 * 1024;
/// How much of a cut line is kept.
const KEPT_BYTES: usize = 4 * 1024;
/// The most verbose level the AWS SDK's crates (targets `aws_*`) may log at.
const AWS_SDK_LEVEL: LevelFilter = LevelFilter::INFO;

/// Installs the global subscriber, writing to standard output; a second call (tests) is ignored.
pub fn init(level: &str, format: LogFormat) {
    init_on(level, format, false);
}

/// As [`init`], writing to standard error: under the stdio transport, standard output carries
/// protocol messages and nothing else.
pub fn init_stderr(level: &str, format: LogFormat) {
    init_on(level, format, true);
}

fn init_on(level: &str, format: LogFormat, stderr: bool) {
    let level: LevelFilter = level.parse().unwrap_or(LevelFilter::INFO);
    let filter = Targets::new().with_default(level);
    let hold_aws = filter_fn(aws_sdk_held);
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto if stderr => !std::io::stderr().is_terminal(),
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let writer = BoundedStdout { json, stderr };
    let terminal = match stderr {
        true => std::io::stderr().is_terminal(),
        false => std::io::stdout().is_terminal(),
    };
    let result = if json {
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .with_writer(writer);
        tracing_subscriber::registry()
            .with(layer)
            .with(filter)
            .with(hold_aws)
            .try_init()
    } else {
        let layer = tracing_subscriber::fmt::layer()
            .fmt_fields(EscapedFields)
            .with_target(false)
            .with_ansi(terminal)
            .with_writer(writer);
        tracing_subscriber::registry()
            .with(layer)
            .with(filter)
            .with(hold_aws)
            .try_init()
    };
    let _ = result;
}

/// Whether an event or span may be logged as far as the AWS SDK rule goes.
fn aws_sdk_held(metadata: &Metadata<'_>) -> bool {
    !metadata.target().starts_with("aws") || AWS_SDK_LEVEL >= *metadata.level()
}

/// The default field format, with control characters escaped.
struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut raw = String::new();
        DefaultFields::new().format_fields(Writer::new(&mut raw), fields)?;
        write_escaped(&mut writer, &raw)
    }
}

/// `text` with every control character (C0, DEL, C1) as a visible escape: `\n`, `\t`,
/// `\u{1b}`…, so no field can start a line or send the terminal a sequence.
fn write_escaped(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if c.is_control() => write!(out, "\\u{{{:x}}}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

/// Standard output (or error), one formatted line per write, cut past [`MAX_LINE_BYTES`].
#[derive(Clone, Copy, Debug)]
struct BoundedStdout {
    json: bool,
    stderr: bool,
}

impl<'a> MakeWriter<'a> for BoundedStdout {
    type Writer = BoundedStdout;
    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

impl Write for BoundedStdout {
    // The fmt layer formats a whole event, then writes it with one `write_all`.
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut out: Box<dyn Write> = match self.stderr {
            true => Box::new(io::stderr().lock()),
            false => Box::new(io::stdout().lock()),
        };
        match bounded_line(line, self.json) {
            Some(cut) => out.write_all(cut.as_bytes())?,
            None => out.write_all(line)?,
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.stderr {
            true => io::stderr().flush(),
            false => io::stdout().flush(),
        }
    }
}

/// The line to write instead of `line` when it is too long; `None` when it may go as it is.
/// In JSON a cut line would be invalid, so it becomes a new, valid one holding the start.
fn bounded_line(line: &[u8], json: bool) -> Option<String> {
    if line.len() <= MAX_LINE_BYTES {
        return None;
    }
    let text = String::from_utf8_lossy(&line[..KEPT_BYTES]);
    // A character cut in two at the end shows as U+FFFD; drop it.
    let start = text.trim_end_matches('\u{fffd}');
    if json {
        let replacement = serde_json::json!({
            "level": "WARN",
            "message": "log line cut: longer than the limit",
            "line_bytes": line.len(),
            "limit_bytes": MAX_LINE_BYTES,
            "line_start": start,
        });
        return Some(format!("{replacement}\n"));
    }
    Some(format!("{start}… [log line cut: {} bytes]\n", line.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        write_escaped(&mut out, text).unwrap();
        out
    }

    #[test]
    fn control_characters_never_reach_a_text_line() {
        let hostile = "user\nERROR forged line\r\x1b[31mred\x07\u{9b}2J é";
        let out = escaped(hostile);
        assert!(!out.chars().any(char::is_control), "{out:?}");
        assert_eq!(
            out,
            "user\\nERROR forged line\\r\\u{1b}[31mred\\u{7}\\u{9b}2J é"
        );
    }

    #[test]
    fn long_lines_are_cut_and_json_ones_stay_json() {
        assert_eq!(bounded_line(b"{\"a\":1}\n", true), None);
        let long = format!("{{\"message\":\"{}\"}}\n", "é".repeat(3 * MAX_LINE_BYTES));
        let cut = bounded_line(long.as_bytes(), true).unwrap();
        assert!(cut.len() < MAX_LINE_BYTES && cut.ends_with('\n'));
        let parsed: serde_json::Value = serde_json::from_str(cut.trim_end()).unwrap();
        assert_eq!(parsed["line_bytes"], long.len());
        assert!(
            parsed["line_start"]
                .as_str()
                .unwrap()
                .starts_with("{\"message\":\"éé")
        );
        let text = bounded_line(long.as_bytes(), false).unwrap();
        assert!(
            text.len() < MAX_LINE_BYTES && text.ends_with(" bytes]\n"),
            "{text}"
        );
    }

    #[test]
    fn the_aws_sdk_never_logs_below_info() {
        use tracing::Level;
        use tracing::callsite::Identifier;
        use tracing::field::FieldSet;
        use tracing::metadata::Kind;

        struct Site;
        impl tracing::Callsite for Site {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unreachable!("not registered")
            }
        }
        static SITE: Site = Site;
        let meta = |target: &'static str, level: Level| {
            let fields = FieldSet::new(&[], Identifier(&SITE));
            Metadata::new("e", target, level, None, None, None, fields, Kind::EVENT)
        };
        assert!(!aws_sdk_held(&meta(
            "aws_sigv4::http_request::sign",
            Level::DEBUG
        )));
        assert!(!aws_sdk_held(&meta(
            "aws_smithy_runtime::client",
            Level::TRACE
        )));
        assert!(aws_sdk_held(&meta(
            "aws_smithy_runtime::client",
            Level::INFO
        )));
        assert!(aws_sdk_held(&meta("quilt_mcp::aws::s3", Level::TRACE)));
    }
}
