//! Why a tool call failed. Low in the house (it knows only the catalog's error), so the AWS
//! client, the shared state and the tools all use it without importing each other.

use crate::catalog::CatalogError;

/// Why a tool call failed: always answered as a result with `isError: true`, so the agent can
/// correct itself.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolError {
    /// An argument is missing, of the wrong type, or out of range.
    InvalidArgument { field: String, message: String },
    /// The catalog refused or failed.
    Catalog(CatalogError),
    /// What the caller named does not exist, or they cannot see it; says how to find it.
    NotFound(String),
    /// Anything else, said plainly.
    Failed(String),
}

impl ToolError {
    /// A bad argument, naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ToolError::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToolError::InvalidArgument { field, message } => {
                write!(f, "invalid argument `{field}`: {message}")
            }
            ToolError::Catalog(e) => e.fmt(f),
            ToolError::NotFound(message) | ToolError::Failed(message) => f.write_str(message),
        }
    }
}

impl From<CatalogError> for ToolError {
    fn from(e: CatalogError) -> Self {
        ToolError::Catalog(e)
    }
}
