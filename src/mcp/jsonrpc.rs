//! JSON-RPC 2.0 wire types and decoding: bytes in, a typed [`Message`] out, or the error to
//! answer with. Nothing here acts on a message (see `mcp::methods`).

use std::fmt;

use serde_json::{Map, Value, json};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// MCP's "resource not found" (legacy-era revisions).
pub const RESOURCE_NOT_FOUND: i64 = -32002;

/// One decoded JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Has an id and expects an answer.
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    /// No id, no answer.
    Notification { method: String },
    /// A client's answer to a server request; we never send any, so it is only acknowledged.
    Response,
}

/// A JSON-RPC error, with the id to answer it under (null when the request's id is unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with a code and message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }
    /// -32601 for a method we do not serve.
    pub fn method_not_found(method: &str) -> Self {
        RpcError::new(METHOD_NOT_FOUND, format!("method not found: {method}"))
    }
    /// -32602 for parameters that do not fit the method.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        RpcError::new(INVALID_PARAMS, message)
    }
    /// Attaches `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// A decoding failure: the error and the request id, when one could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub id: Value,
    pub error: RpcError,
}

fn invalid(id: &Value, message: &str) -> DecodeError {
    DecodeError {
        id: id.clone(),
        error: RpcError::new(INVALID_REQUEST, message),
    }
}

/// Marks an id `Value` cannot hold exactly (an integer beyond 64 bits, a fraction): a string of
/// this character and the id's exact text, turned back into that number by [`encode`]. No
/// client id can carry it: a string id that starts with it is refused.
const EXACT: char = '\u{10FFFF}';

/// The id to answer under: the value itself, or, for a number `Value` would round, its exact
/// text from `body`, marked (see [`EXACT`]).
fn answer_id(body: &[u8], id: &Value) -> Value {
    match id {
        Value::Number(n) if n.is_f64() => {
            #[derive(serde::Deserialize)]
            struct IdText<'a> {
                #[serde(borrow)]
                id: &'a serde_json::value::RawValue,
            }
            match serde_json::from_slice::<IdText>(body) {
                Ok(raw) => Value::String(format!("{EXACT}{}", raw.id.get().trim())),
                Err(_) => id.clone(),
            }
        }
        Value::String(_) | Value::Number(_) => id.clone(),
        _ => Value::Null,
    }
}

/// A JSON-RPC message as text, with an exact id (see [`EXACT`]) written back as the number it
/// was.
pub fn encode(message: &Value) -> String {
    let text = message.to_string();
    match message.get("id") {
        Some(Value::String(marked)) if marked.starts_with(EXACT) => {
            let quoted = Value::String(marked.clone()).to_string();
            text.replacen(&quoted, &marked[EXACT.len_utf8()..], 1)
        }
        _ => text,
    }
}

/// The id as it goes into encoded text.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(marked) if marked.starts_with(EXACT) => marked[EXACT.len_utf8()..].into(),
        other => other.to_string(),
    }
}

/// Decodes one POST body. Batches are refused: MCP removed them in 2025-06-18.
pub fn decode(body: &[u8]) -> Result<Message, DecodeError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| DecodeError {
        id: Value::Null,
        error: RpcError::new(PARSE_ERROR, format!("parse error: {e}")),
    })?;
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(invalid(
                &Value::Null,
                "batch requests are not supported; send one message per POST",
            ));
        }
        _ => {
            return Err(invalid(
                &Value::Null,
                "a JSON-RPC message must be an object",
            ));
        }
    };
    decode_object(body, object)
}

fn decode_object(body: &[u8], mut object: Map<String, Value>) -> Result<Message, DecodeError> {
    let id = object.remove("id");
    if let Some(Value::String(text)) = &id
        && text.starts_with(EXACT)
    {
        return Err(invalid(&Value::Null, "`id` may not start with U+10FFFF"));
    }
    // An id we cannot answer under (null, bool, object) is reported under null.
    let answer_id = id.as_ref().map_or(Value::Null, |id| answer_id(body, id));
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(&answer_id, "`jsonrpc` must be \"2.0\""));
    }
    let Some(method) = object.remove("method") else {
        if id.is_some() && (object.contains_key("result") || object.contains_key("error")) {
            return Ok(Message::Response);
        }
        return Err(invalid(&answer_id, "a request needs a `method`"));
    };
    let Value::String(method) = method else {
        return Err(invalid(&answer_id, "`method` must be a string"));
    };
    let params = object.remove("params").unwrap_or(Value::Null);
    if !matches!(params, Value::Object(_) | Value::Null) {
        return Err(DecodeError {
            id: answer_id,
            error: RpcError::invalid_params("`params` must be an object"),
        });
    }
    match id {
        None => Ok(Message::Notification { method }),
        Some(Value::String(_) | Value::Number(_)) => Ok(Message::Request {
            id: answer_id,
            method,
            params,
        }),
        Some(_) => Err(invalid(&Value::Null, "`id` must be a string or a number")),
    }
}

/// A success answer.
pub fn success(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// A success answer whose result is already encoded JSON.
pub fn success_encoded(id: &Value, result: &str) -> String {
    let id = id_text(id);
    format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#)
}

/// An error answer.
pub fn failure(id: &Value, error: &RpcError) -> Value {
    let mut body = json!({ "code": error.code, "message": error.message });
    if let Some(data) = &error.data {
        body["data"] = data.clone();
    }
    json!({ "jsonrpc": "2.0", "id": id, "error": body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_notifications_and_responses() {
        let request = decode(br#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#).unwrap();
        assert_eq!(
            request,
            Message::Request {
                id: json!(7),
                method: "ping".into(),
                params: Value::Null
            }
        );
        let note = decode(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(
            note,
            Message::Notification {
                method: "notifications/initialized".into()
            }
        );
        assert_eq!(
            decode(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap(),
            Message::Response
        );
    }

    #[test]
    fn bad_messages_get_the_right_codes() {
        let cases: &[(&[u8], i64)] = &[
            (b"{not json", PARSE_ERROR),
            (b"\xff\xfe", PARSE_ERROR),
            (b"[]", INVALID_REQUEST),
            (
                br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
                INVALID_REQUEST,
            ),
            (b"42", INVALID_REQUEST),
            (br#"{"id":1,"method":"ping"}"#, INVALID_REQUEST),
            (br#"{"jsonrpc":"2.0","id":1,"method":3}"#, INVALID_REQUEST),
            (
                br#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
                INVALID_REQUEST,
            ),
            (br#"{"jsonrpc":"2.0","id":1}"#, INVALID_REQUEST),
            (
                br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#,
                INVALID_PARAMS,
            ),
        ];
        for (body, code) in cases {
            let err = decode(body).unwrap_err();
            assert_eq!(err.error.code, *code, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn an_encoded_success_is_the_same_answer() {
        for id in [json!(7), json!("a\"b")] {
            let encoded = success_encoded(&id, r#"{"tools":[1,{"x":"y"}]}"#);
            let expected = success(&id, json!({"tools": [1, {"x": "y"}]}));
            assert_eq!(serde_json::from_str::<Value>(&encoded).unwrap(), expected);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(decode(deep.as_bytes()).unwrap_err().error.code, PARSE_ERROR);
    }
}
