//! `get_resource`: the resources as a tool, for clients that cannot read MCP resources. It goes
//! through the same resolver and per-caller cache as `resources/read` (`crate::tools::resources::read`),
//! so both paths answer the same content; the resource table itself is `crate::tools::resources`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tools::resources::{self, RESOURCES, ReadError, TEMPLATES};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Arguments of `get_resource`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetResourceArgs {
    /// The resource's URI, e.g. `auth://status` or `admin://users/alice`. Empty (the default)
    /// lists the resources and URI templates.
    #[serde(default)]
    pub uri: String,
}

/// One listed resource or template.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Listed {
    pub uri: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

/// What `get_resource` answers.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum GetResource {
    /// Without a URI: what can be read.
    Listing {
        resources: Vec<Listed>,
        templates: Vec<Listed>,
        count: usize,
    },
    /// With one: the same JSON that `resources/read` returns as text (for a markdown
    /// resource, `data` is the markdown string).
    Content {
        uri: String,
        mime_type: &'static str,
        data: Value,
    },
}

pub const GET_RESOURCE: Tool = Tool {
    name: "get_resource",
    title: "Read a resource",
    description: "Read one of this server's MCP resources by URI (for clients without resource support); without a URI, list the resources and URI templates.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(GetResourceArgs),
    output_schema: Some(|| schemars::schema_for!(GetResource)),
    call: |ctx, args| typed(ctx, args, get_resource),
};

async fn get_resource(ctx: &Ctx, args: GetResourceArgs) -> Result<GetResource, ToolError> {
    if !ctx.state.config.resources_enabled {
        return Err(ToolError::Failed(
            "resources are turned off on this server (QUILT_MCP_RESOURCES_ENABLED=false)".into(),
        ));
    }
    let uri = args.uri.trim().to_string();
    if uri.is_empty() {
        return Ok(listing());
    }
    match resources::read(ctx, &uri).await {
        Ok(data) => Ok(GetResource::Content {
            mime_type: resources::mime_type_of(&uri),
            uri,
            data,
        }),
        Err(ReadError::Failed(error)) => Err(error),
        Err(ReadError::Unknown) => {
            let (uris, templates) = resources::known_uris();
            Err(ToolError::invalid(
                "uri",
                format!(
                    "no resource {uri:?}; valid URIs: {}; templates: {}",
                    uris.join(", "),
                    templates.join(", ")
                ),
            ))
        }
    }
}

fn listing() -> GetResource {
    let resources: Vec<Listed> = RESOURCES
        .iter()
        .map(|r| Listed {
            uri: r.uri,
            name: r.name,
            description: r.description,
        })
        .collect();
    let templates: Vec<Listed> = TEMPLATES
        .iter()
        .map(|t| Listed {
            uri: t.uri_template,
            name: t.name,
            description: t.description,
        })
        .collect();
    GetResource::Listing {
        count: resources.len() + templates.len(),
        resources,
        templates,
    }
}
