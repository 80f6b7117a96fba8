//! The GraphQL face: any operation valid against the catalog schema, executed against the
//! model.
//!
//! apollo-compiler parses and validates the document against `schema/catalog.graphql` (the
//! same schema our own operations are checked against) and executes it, calling back into the
//! resolvers here one field at a time. So an answer has exactly the fields, aliases and
//! `__typename`s the request selected, for any variables; an invalid document gets the
//! validation errors a GraphQL server gives. The resolvers are split by area: `query`
//! (buckets, packages, identity), `mutation` (pushes, sessions, Tabulator), `admin`, `search`
//! (the package search, both releases).

mod admin;
mod mutation;
mod query;
mod search;

use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use apollo_compiler::ExecutableDocument;
use apollo_compiler::Schema;
use apollo_compiler::executable::OperationType;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::model::{Model, Release, User};
use crate::catalog::queries;

/// The schema the face serves as `release`, each parsed once.
fn schema(release: Release) -> Result<&'static Valid<Schema>, String> {
    type Parsed = OnceLock<Result<Valid<Schema>, String>>;
    static AUGUST_2026: Parsed = OnceLock::new();
    static JANUARY_2026: Parsed = OnceLock::new();
    let (cell, text, file) = match release {
        Release::August2026 => (&AUGUST_2026, queries::SCHEMA, "catalog.graphql"),
        Release::January2026 => (
            &JANUARY_2026,
            queries::SCHEMA_JANUARY_2026,
            "catalog-2026-01.graphql",
        ),
    };
    cell.get_or_init(|| Schema::parse_and_validate(text, file).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs one GraphQL request (`{"query", "operationName", "variables"}`) for `caller`.
/// The answer is always a GraphQL response body (`data` and/or `errors`), sent with HTTP 200.
pub(crate) fn execute(model: &mut Model, caller: &User, request: &Value) -> Value {
    let release = model.stack.release;
    let schema = match schema(release) {
        Ok(schema) => schema,
        Err(e) => return errors_only(format!("the embedded catalog's schema is invalid: {e}")),
    };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return errors_only("the request has no `query` string".into());
    };
    let document = match document(release, schema, query) {
        Ok(document) => document,
        Err(errors) => return json!({ "errors": errors }),
    };
    let name = request.get("operationName").and_then(Value::as_str);
    let Ok(operation) = document.operations.get(name) else {
        return errors_only(format!("unknown operation {name:?}"));
    };
    if operation.operation_type == OperationType::Subscription {
        return errors_only("subscriptions are not supported".into());
    }
    let variables = match request.get("variables") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v) => v.clone(),
    };
    let variables = match JsonValue::deserialize(variables) {
        Ok(JsonValue::Object(map)) => map,
        _ => return errors_only("`variables` must be a JSON object".into()),
    };
    let ctx = Ctx {
        model: RefCell::new(model),
        caller: caller.clone(),
    };
    let root = Obj {
        ctx: &ctx,
        node: match operation.operation_type {
            OperationType::Mutation => Node::Mutation,
            _ => Node::Query,
        },
    };
    let response = Execution::new(schema, &document)
        .operation(operation)
        .raw_variable_values(&variables)
        .execute_sync(&root);
    match response {
        Ok(response) => {
            let mut answer = serde_json::to_value(&response)
                .unwrap_or_else(|e| errors_only(format!("unencodable answer: {e}")));
            // The executor words a resolver's error "resolver error: …"; the registry sends
            // the message alone (e.g. "Forbidden").
            if let Some(errors) = answer.get_mut("errors").and_then(Value::as_array_mut) {
                for error in errors {
                    let message = error["message"].as_str().unwrap_or_default();
                    if let Some(plain) = message.strip_prefix("resolver error: ") {
                        error["message"] = Value::from(plain.to_string());
                    }
                }
            }
            answer
        }
        Err(e) => errors_only(e.message().to_string()),
    }
}

/// Most documents arrive again and again (the server's own operations), so each is parsed and
/// validated once and kept; the cache is small and cleared when full, so a stream of distinct
/// documents cannot grow it. A refused document is not kept: it is answered with its errors.
/// A document is valid against one release's schema, so the release is part of the key.
fn document(
    release: Release,
    schema: &Valid<Schema>,
    query: &str,
) -> Result<Arc<Valid<ExecutableDocument>>, Vec<Value>> {
    type Kept = HashMap<(Release, String), Arc<Valid<ExecutableDocument>>>;
    const KEEP: usize = 256;
    static CACHE: OnceLock<Mutex<Kept>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let lock = || cache.lock().unwrap_or_else(PoisonError::into_inner);
    let key = (release, query.to_string());
    if let Some(found) = lock().get(&key) {
        return Ok(Arc::clone(found));
    }
    let parsed = ExecutableDocument::parse_and_validate(schema, query, "request.graphql").map_err(
        |invalid| {
            invalid
                .errors
                .iter()
                .map(|d| json!({ "message": d.error.to_string() }))
                .collect::<Vec<_>>()
        },
    )?;
    let parsed = Arc::new(parsed);
    let mut kept = lock();
    if kept.len() >= KEEP {
        kept.clear();
    }
    kept.insert(key, Arc::clone(&parsed));
    Ok(parsed)
}

fn errors_only(message: String) -> Value {
    json!({ "errors": [{ "message": message }] })
}

/// What resolvers share during one request: the model (mutations change it) and the caller.
pub(super) struct Ctx<'m> {
    model: RefCell<&'m mut Model>,
    caller: User,
}

impl<'m> Ctx<'m> {
    fn model(&self) -> RefMut<'_, &'m mut Model> {
        // Execution is synchronous and resolvers never hold the borrow across a call into the
        // executor, so a second borrow cannot be live at the same time.
        self.model.borrow_mut()
    }
}

/// The GraphQL object a resolved value stands for. Objects with arguments or that read the
/// model lazily are their own variants; everything else is a JSON object with its type name.
#[derive(Clone, Debug)]
pub(super) enum Node {
    Query,
    Mutation,
    /// A plain object: its `__typename` and fields (nested objects carry `__typename` too).
    Json(String, Map<String, Value>),
    PackageList {
        bucket: String,
        filter: Option<String>,
    },
    Package {
        bucket: String,
        name: String,
    },
    RevisionList {
        bucket: String,
        name: String,
    },
    Revision {
        bucket: String,
        name: String,
        hash: String,
    },
    Dir {
        bucket: String,
        name: String,
        hash: String,
        path: String,
    },
    PushSuccess {
        bucket: String,
        name: String,
        hash: String,
    },
    AdminQueries,
    UserAdminQueries,
    AdminMutations,
    UserAdminMutations,
    MutateUser(String),
    /// A `PackagesSearchResultSet`: its `firstPage` takes arguments.
    PackageSearch(Box<search::PackageSearch>),
}

/// A node bound to the request's context.
pub(super) struct Obj<'a, 'm> {
    ctx: &'a Ctx<'m>,
    node: Node,
}

impl ObjectValue for Obj<'_, '_> {
    fn type_name(&self) -> &str {
        match &self.node {
            Node::Query => "Query",
            Node::Mutation => "Mutation",
            Node::Json(name, _) => name,
            Node::PackageList { .. } => "PackageList",
            Node::Package { .. } => "Package",
            Node::RevisionList { .. } => "PackageRevisionList",
            Node::Revision { .. } => "PackageRevision",
            Node::Dir { .. } => "PackageDir",
            Node::PushSuccess { .. } => "PackagePushSuccess",
            Node::AdminQueries => "AdminQueries",
            Node::UserAdminQueries => "UserAdminQueries",
            Node::AdminMutations => "AdminMutations",
            Node::UserAdminMutations => "UserAdminMutations",
            Node::MutateUser(_) => "MutateUserAdminMutations",
            Node::PackageSearch(_) => "PackagesSearchResultSet",
        }
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let args = arguments(info);
        let field = info.field_name();
        match &self.node {
            Node::Json(_, fields) => Ok(json_field(
                self.ctx,
                info,
                fields.get(field).cloned().unwrap_or(Value::Null),
            )),
            Node::Query => query::root(self.ctx, field, &args, info),
            Node::PackageList { .. }
            | Node::Package { .. }
            | Node::RevisionList { .. }
            | Node::Revision { .. }
            | Node::Dir { .. } => query::package_field(self.ctx, &self.node, field, &args, info),
            Node::Mutation | Node::PushSuccess { .. } => {
                mutation::field(self.ctx, &self.node, field, &args, info)
            }
            Node::AdminQueries
            | Node::UserAdminQueries
            | Node::AdminMutations
            | Node::UserAdminMutations
            | Node::MutateUser(_) => admin::field(self.ctx, &self.node, field, &args, info),
            Node::PackageSearch(search) => {
                search::result_set_field(self.ctx, search, field, &args, info)
            }
        }
    }
}

/// The field's arguments as plain JSON.
fn arguments(info: &ResolveInfo<'_>) -> Value {
    serde_json::to_value(info.arguments()).unwrap_or(Value::Null)
}

/// An object value of `node`.
pub(super) fn object<'a, 'm: 'a>(ctx: &'a Ctx<'m>, node: Node) -> ResolvedValue<'a> {
    ResolvedValue::object(Obj { ctx, node })
}

/// A JSON value as the resolved value of the current field: scalars as leaves, objects (the
/// field's type is composite) as [`Node::Json`], lists (the field's type is a list) item by
/// item. A JSON scalar such as `userMeta` stays one leaf, whatever it holds.
pub(super) fn json_field<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    info: &ResolveInfo<'_>,
    value: Value,
) -> ResolvedValue<'a> {
    let ty = &info.field_definition().ty;
    let named = ty.inner_named_type();
    let composite = matches!(
        info.schema().types.get(named),
        Some(ExtendedType::Object(_) | ExtendedType::Union(_) | ExtendedType::Interface(_))
    );
    convert(ctx, named.as_str(), composite, ty.is_list(), value)
}

fn convert<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    named: &str,
    composite: bool,
    list: bool,
    value: Value,
) -> ResolvedValue<'a> {
    match value {
        Value::Null => ResolvedValue::null(),
        Value::Array(items) if list => {
            // Lists of lists do not occur in the catalog schema: items are the named type.
            let named = named.to_string();
            let items: Vec<_> = items
                .into_iter()
                .map(|item| convert(ctx, &named, composite, false, item))
                .collect();
            ResolvedValue::list(items)
        }
        Value::Object(fields) if composite => {
            let typename = fields
                .get("__typename")
                .and_then(Value::as_str)
                .unwrap_or(named)
                .to_string();
            object(ctx, Node::Json(typename, fields))
        }
        // apollo-compiler coerces results strictly: a Float field needs a JSON float.
        Value::Number(n) if named == "Float" => {
            leaf(n.as_f64().map(Value::from).unwrap_or(Value::Null))
        }
        other => leaf(other),
    }
}

/// A scalar (or a JSON scalar holding an object) as a leaf.
pub(super) fn leaf<'a>(value: Value) -> ResolvedValue<'a> {
    ResolvedValue::Leaf(JsonValue::deserialize(value).unwrap_or(JsonValue::Null))
}

/// A field error (the field becomes null, or its parent if it is non-null).
pub(super) fn refuse(message: impl Into<String>) -> FieldError {
    FieldError {
        message: message.into(),
    }
}

/// `InvalidInput` with one error.
pub(super) fn invalid_input(path: &str, name: &str, message: &str) -> Value {
    json!({ "__typename": "InvalidInput",
            "errors": [{ "__typename": "InputError", "path": path, "name": name, "message": message, "context": null }] })
}

/// `OperationError`.
pub(super) fn operation_error(name: &str, message: &str) -> Value {
    json!({ "__typename": "OperationError", "name": name, "message": message, "context": null })
}

/// The string argument `name`, or "".
pub(super) fn text<'v>(args: &'v Value, name: &str) -> &'v str {
    args.get(name).and_then(Value::as_str).unwrap_or_default()
}
