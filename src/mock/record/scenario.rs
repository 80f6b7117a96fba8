//! The scenario file the recorder writes: one interaction per distinct request, the whole file
//! rewritten (temp file, then rename) after every exchange so a killed proxy loses nothing.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use crate::mock::Recordings;

/// What the written file says about itself.
const DESCRIPTION: &str = "Recorded with `quilt-mcp record` against a real catalog. Tokens and \
credentials are redacted, but the data is real: review before committing.";
/// Ids are cut to this many characters before a `-N` suffix makes them unique.
const MAX_ID_LEN: usize = 60;

/// One scenario file being recorded, held in memory and written whole.
#[derive(Debug)]
pub(crate) struct ScenarioFile {
    path: PathBuf,
    scenario: String,
    description: String,
    /// The interactions, each with its key: its `request` matcher as canonical JSON text.
    entries: Vec<(String, Value)>,
}

impl ScenarioFile {
    /// `<dir>/<scenario>.json`: continues the file if it exists (it must be a valid recording
    /// file), else starts empty; nothing is written before the first exchange.
    pub(crate) fn open(dir: &Path, scenario: &str) -> io::Result<ScenarioFile> {
        let bad_name = !scenario.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !scenario
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if bad_name {
            return Err(invalid_input(format!(
                "scenario name {scenario:?}: use letters, digits, `-`, `_` and `.`"
            )));
        }
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{scenario}.json"));
        let mut file = ScenarioFile {
            path,
            scenario: scenario.to_string(),
            description: DESCRIPTION.to_string(),
            entries: Vec::new(),
        };
        if file.path.exists() {
            file.continue_existing()?;
        }
        Ok(file)
    }

    fn continue_existing(&mut self) -> io::Result<()> {
        let text = std::fs::read_to_string(&self.path)?;
        let name = self.path.display().to_string();
        let refuse = |why: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{why}; move it away or pick another --scenario"),
            )
        };
        Recordings::from_json(&name, &text).map_err(|e| refuse(e.to_string()))?;
        let mut raw: Value = serde_json::from_str(&text).map_err(|e| refuse(e.to_string()))?;
        if raw.get("scenario").and_then(Value::as_str) != Some(self.scenario.as_str()) {
            return Err(refuse(format!("{name} names another scenario")));
        }
        if let Some(description) = raw.get("description").and_then(Value::as_str) {
            self.description = description.to_string();
        }
        if let Some(Value::Array(items)) = raw.get_mut("interactions").map(Value::take) {
            for item in items {
                let key = item
                    .get("request")
                    .map(Value::to_string)
                    .unwrap_or_default();
                self.entries.push((key, item));
            }
        }
        Ok(())
    }

    /// Where the file is (or will be) written.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// How many interactions the file holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds the interaction for `request`, or replaces the answer of the one already recorded
    /// with the same matcher (last answer wins, keeping its id and place). Returns its id; an
    /// interaction the mock could not read is refused with the reason.
    pub(crate) fn record(&mut self, request: Value, response: Value) -> Result<String, String> {
        let key = request.to_string();
        if let Some(index) = self.entries.iter().position(|(k, _)| *k == key) {
            let Some((_, existing)) = self.entries.get(index) else {
                return Err("internal error: lost an interaction".into());
            };
            let mut updated = existing.clone();
            if let Some(fields) = updated.as_object_mut() {
                fields.insert("response".to_string(), response);
            }
            self.check(&updated)?;
            let id = updated
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(slot) = self.entries.get_mut(index) {
                slot.1 = updated;
            }
            return Ok(id);
        }
        let id = self.unique_id(&id_for(&request));
        let interaction = json!({ "id": id, "request": request, "response": response });
        self.check(&interaction)?;
        self.entries.push((key, interaction));
        Ok(id)
    }

    /// Writes the whole file to a temporary sibling, then renames it over the file, so a reader
    /// (or a kill) never sees half a file.
    pub(crate) fn write(&self) -> io::Result<()> {
        let document = FileOut {
            scenario: &self.scenario,
            description: &self.description,
            interactions: self
                .entries
                .iter()
                .map(|(_, v)| InteractionOut::of(v))
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&document).map_err(io::Error::other)?;
        text.push('\n');
        // A dot-name ending in `.tmp`: `Recordings::from_dir` reads only `*.json`.
        let temporary = self
            .path
            .with_file_name(format!(".{}.json.tmp", self.scenario));
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, &self.path)
    }

    /// Runs the mock's own checks on one interaction, so the file always stays loadable.
    fn check(&self, interaction: &Value) -> Result<(), String> {
        let alone = json!({ "scenario": self.scenario, "interactions": [interaction] });
        Recordings::from_json(&self.scenario, &alone.to_string())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn unique_id(&self, base: &str) -> String {
        let taken = |id: &str| {
            self.entries
                .iter()
                .any(|(_, v)| v.get("id").and_then(Value::as_str) == Some(id))
        };
        let mut id = base.to_string();
        let mut n = 2;
        while taken(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// The file as written: fields in the order a reader wants them (serde_json's own maps would
/// sort them, putting `scenario` last and a response's `status` after its body).
#[derive(Serialize)]
struct FileOut<'a> {
    scenario: &'a str,
    description: &'a str,
    interactions: Vec<InteractionOut<'a>>,
}

#[derive(Serialize)]
struct InteractionOut<'a> {
    id: Option<&'a Value>,
    request: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when_state: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    set_state: Option<&'a Value>,
    response: ResponseOut<'a>,
}

#[derive(Serialize)]
struct ResponseOut<'a> {
    status: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_text: Option<&'a Value>,
}

impl<'a> InteractionOut<'a> {
    /// Every interaction held was checked by the mock's reader, so these are all its fields.
    fn of(interaction: &'a Value) -> InteractionOut<'a> {
        let response = interaction.get("response");
        let field = |name: &str| response.and_then(|r| r.get(name));
        InteractionOut {
            id: interaction.get("id"),
            request: interaction.get("request"),
            when_state: interaction.get("when_state"),
            set_state: interaction.get("set_state"),
            response: ResponseOut {
                status: field("status"),
                headers: field("headers"),
                body: field("body"),
                body_text: field("body_text"),
            },
        }
    }
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// A readable id from a matcher: `auth-status-user1`, `get-api-auth-get-credentials-user1`.
fn id_for(request: &Value) -> String {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let base = match request.get("graphql") {
        Some(graphql) => match text(graphql.get("operation")).as_str() {
            "*" => "graphql-any".to_string(),
            name => name.to_string(),
        },
        None => format!(
            "{} {}",
            text(request.get("method")),
            text(request.get("path"))
        ),
    };
    let mut id = kebab(&base);
    if id.is_empty() {
        id = "interaction".to_string();
    }
    if let Some(user) = request.get("user_id").and_then(Value::as_i64) {
        id.push_str(&format!("-user{user}"));
    }
    id
}

/// `AuthStatus` → `auth-status`, `GET /api/x_y` → `get-api-x-y`, cut to [`MAX_ID_LEN`].
fn kebab(text: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            let new_word = c.is_ascii_uppercase()
                && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if new_word && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        previous = Some(c);
        if out.len() >= MAX_ID_LEN {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("quilt-mcp-scenario-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn ok(status: u16) -> Value {
        json!({ "status": status, "body": { "n": status } })
    }

    #[test]
    fn same_request_is_recorded_once_and_the_last_answer_wins() {
        let dir = temp_dir();
        let mut file = ScenarioFile::open(&dir, "s").unwrap();
        let auth =
            json!({ "graphql": { "operation": "AuthStatus", "variables": {} }, "user_id": 1 });
        let other_user =
            json!({ "graphql": { "operation": "AuthStatus", "variables": {} }, "user_id": 2 });
        assert_eq!(
            file.record(auth.clone(), ok(200)).unwrap(),
            "auth-status-user1"
        );
        assert_eq!(
            file.record(other_user, ok(200)).unwrap(),
            "auth-status-user2"
        );
        assert_eq!(file.record(auth, ok(401)).unwrap(), "auth-status-user1");
        assert_eq!(file.len(), 2);
        file.write().unwrap();
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(text.contains("401"));
        let order = [
            "\"scenario\"",
            "\"description\"",
            "\"interactions\"",
            "\"status\"",
            "\"body\"",
        ];
        let at: Vec<usize> = order.iter().map(|key| text.find(key).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(Recordings::from_dir(&dir).unwrap().len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn ids_are_readable_and_unique() {
        let dir = temp_dir();
        let mut file = ScenarioFile::open(&dir, "s").unwrap();
        let get = |q: &str| json!({ "method": "GET", "path": "/api/auth/get_credentials", "query": { "q": q } });
        assert_eq!(
            file.record(get("a"), ok(200)).unwrap(),
            "get-api-auth-get-credentials"
        );
        assert_eq!(
            file.record(get("b"), ok(200)).unwrap(),
            "get-api-auth-get-credentials-2"
        );
        let any = json!({ "graphql": { "operation": "*", "variables": {} } });
        assert_eq!(file.record(any, ok(200)).unwrap(), "graphql-any");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_existing_file_is_continued_and_a_broken_one_refused() {
        let dir = temp_dir();
        let mut first = ScenarioFile::open(&dir, "s").unwrap();
        first
            .record(json!({ "method": "GET", "path": "/a" }), ok(200))
            .unwrap();
        first.write().unwrap();
        let mut second = ScenarioFile::open(&dir, "s").unwrap();
        assert_eq!(second.len(), 1);
        second
            .record(json!({ "method": "GET", "path": "/a" }), ok(404))
            .unwrap();
        second
            .record(json!({ "method": "GET", "path": "/b" }), ok(200))
            .unwrap();
        assert_eq!(second.len(), 2);
        std::fs::write(dir.join("broken.json"), "{\"scenario\": 1}").unwrap();
        assert!(ScenarioFile::open(&dir, "broken").is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_names_and_unloadable_interactions_are_refused() {
        let dir = temp_dir();
        for name in ["", "../x", "a/b", ".hidden"] {
            assert!(ScenarioFile::open(&dir, name).is_err(), "{name}");
        }
        let mut file = ScenarioFile::open(&dir, "s").unwrap();
        let refused = file.record(json!({ "path": "no-slash" }), ok(200));
        assert!(refused.is_err());
        assert_eq!(file.len(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn kebab_case() {
        assert_eq!(kebab("AuthStatus"), "auth-status");
        assert_eq!(
            kebab("GET /browse/bs_1/README.md"),
            "get-browse-bs-1-readme-md"
        );
        assert_eq!(kebab("BucketCreate2X"), "bucket-create2-x");
    }
}
