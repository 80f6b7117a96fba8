//! Which tools any caller may see: the toolsets (`MCP_TOOLSETS`) and read-only mode
//! (`MCP_READ_ONLY`). Requests may narrow this ceiling, never widen it (`tools::view`).

use serde::{Deserialize, Deserializer};

use super::values::{Flag, Invalid, parse_text};
use crate::toolset::Toolsets;

/// The tools group, as envy fills it; unset variables take [`ToolsEnv::default`].
#[derive(Debug, Deserialize)]
#[serde(default)]
pub(super) struct ToolsEnv {
    pub mcp_toolsets: ToolsetList,
    pub mcp_read_only: Flag,
}

impl Default for ToolsEnv {
    fn default() -> Self {
        ToolsEnv {
            mcp_toolsets: ToolsetList(Toolsets::all()),
            mcp_read_only: Flag(false),
        }
    }
}

/// A comma-separated list of toolset names, or `all`; an unknown name is refused (a typo must
/// not silently hide tools).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ToolsetList(pub Toolsets);

impl ToolsetList {
    fn parse(text: &str) -> Result<Self, Invalid> {
        Toolsets::parse(text).map(ToolsetList).map_err(|why| {
            Invalid::new(text, format!("a comma-separated list of toolsets ({why})"))
        })
    }
}

impl<'de> Deserialize<'de> for ToolsetList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, ToolsetList::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolset_lists_name_the_unknown_one() {
        assert_eq!(
            ToolsetList::parse("buckets, search").unwrap().0.names(),
            "buckets,search"
        );
        let err = ToolsetList::parse("buckets,bukets")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(r#""buckets,bukets" is not valid; expected a comma-separated list"#),
            "{err}"
        );
        assert!(err.contains("unknown toolset `bukets`"), "{err}");
    }
}
