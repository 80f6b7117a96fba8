//! The JSON Schemas `tools/list` shows, tidied from what schemars generates: input schemas for
//! clients' schema subsets, output schemas as small as they can be while still checking the
//! result's shape.

use serde_json::{Value, json};

/// The generated schema, tidied as clients expect: no root `title`, `description` (the Rust doc
/// of the argument type) or `$schema` (noise for the
/// model), and always `type: object`.
pub fn input(schema: schemars::Schema) -> Value {
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.remove("title");
        object.remove("description");
        object.remove("$schema");
        object.insert("type".into(), json!("object"));
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            properties.values_mut().for_each(plain_optional);
        }
        // Item types (e.g. the objects of `bucket_objects_put`) get the same treatment.
        if let Some(Value::Object(defs)) = object.get_mut("$defs") {
            for def in defs.values_mut() {
                if let Some(Value::Object(properties)) = def.get_mut("properties") {
                    properties.values_mut().for_each(plain_optional);
                }
            }
        }
    }
    value
}

/// An optional argument is simply not required: `"type": ["string", "null"]` with
/// `"default": null` becomes `"type": "string"`, which every client's schema subset accepts
/// (a null sent anyway still decodes as absent).
fn plain_optional(property: &mut Value) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    let Some(Value::Array(types)) = object.get("type") else {
        return;
    };
    let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    if kept.len() == 1 && kept.len() < types.len() {
        object.insert("type".into(), kept[0].clone());
        if object.get("default") == Some(&Value::Null) {
            object.remove("default");
        }
    }
}

/// The output schema: the result type's schema, always `type: object`, without the words
/// (titles, descriptions) and number formats: the tool's description already says what the
/// result means, and `tools/list` is read by the model on every turn, so only the shape stays.
pub fn output(schema: schemars::Schema) -> Value {
    let mut value = schema.to_value();
    shape_only(&mut value);
    if let Some(object) = value.as_object_mut() {
        object.remove("$schema");
        object.insert("type".into(), json!("object"));
    }
    value
}

/// Removes the wording keywords from a schema and every schema inside it. Property names are
/// never touched: only the values under `properties` are schemas.
fn shape_only(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    for keyword in ["title", "description", "format", "minimum", "examples"] {
        object.remove(keyword);
    }
    for key in ["properties", "$defs", "patternProperties"] {
        if let Some(Value::Object(schemas)) = object.get_mut(key) {
            schemas.values_mut().for_each(shape_only);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(inner) = object.get_mut(key) {
            shape_only(inner);
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(schemas)) = object.get_mut(key) {
            schemas.iter_mut().for_each(shape_only);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_schemas_keep_property_names_that_look_like_keywords() {
        let schema: schemars::Schema = serde_json::from_value(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Result",
            "description": "doc",
            "properties": {
                "title": { "type": "string", "description": "the title" },
                "size": { "type": "integer", "format": "uint64", "minimum": 0 },
                "items": { "type": "array", "items": { "$ref": "#/$defs/Item" } }
            },
            "$defs": { "Item": { "title": "Item", "properties": { "description": { "type": "string" } } } }
        }))
        .unwrap();
        assert_eq!(
            output(schema),
            json!({
                "type": "object",
                "properties": {
                    "title": { "type": "string" },
                    "size": { "type": "integer" },
                    "items": { "type": "array", "items": { "$ref": "#/$defs/Item" } }
                },
                "$defs": { "Item": { "properties": { "description": { "type": "string" } } } }
            })
        );
    }
}
