//! What the caller can query: data catalogs, their databases and tables (with columns), and
//! the workgroups they may run queries in, with the per-caller workgroup discovery.

use std::collections::BTreeMap;

use aws_sdk_athena::types::{Column, TableMetadata, WorkGroupState};

use super::error::{AthenaError, AthenaErrorKind};
use super::{AthenaFactory, CallerAthena};

const LIST_CATALOGS: &str = "athena:ListDataCatalogs";
const LIST_DATABASES: &str = "athena:ListDatabases";
const LIST_TABLES: &str = "athena:ListTableMetadata";
const GET_TABLE: &str = "athena:GetTableMetadata";
const LIST_WORKGROUPS: &str = "athena:ListWorkGroups";
const GET_WORKGROUP: &str = "athena:GetWorkGroup";

/// Pages read at most from one listing: a catalog with more than this many pages of
/// databases or tables is cut (and says so), rather than read without end.
const MAX_PAGES: usize = 20;
/// Workgroups looked at closely (GetWorkGroup) during discovery.
const MAX_WORKGROUPS_INSPECTED: usize = 5;
/// The workgroup every account has.
pub const PRIMARY_WORKGROUP: &str = "primary";

/// A data catalog: its name and type (`GLUE`, `LAMBDA`, `HIVE`, `FEDERATED`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataCatalog {
    pub name: String,
    pub catalog_type: Option<String>,
}

/// A database of a data catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseInfo {
    pub name: String,
    pub description: Option<String>,
}

/// A column: name, Athena type and comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    pub type_name: Option<String>,
    pub comment: Option<String>,
}

/// A table's metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct TableInfo {
    pub name: String,
    pub table_type: Option<String>,
    pub columns: Vec<ColumnInfo>,
    pub partition_keys: Vec<ColumnInfo>,
    pub parameters: BTreeMap<String, String>,
    /// RFC 3339.
    pub create_time: Option<String>,
}

/// A listing and whether it was cut at [`MAX_PAGES`].
#[derive(Clone, Debug, PartialEq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub cut: bool,
}

fn columns(columns: &[Column]) -> Vec<ColumnInfo> {
    columns
        .iter()
        .map(|c| ColumnInfo {
            name: c.name().to_string(),
            type_name: c.r#type().map(str::to_string),
            comment: c.comment().map(str::to_string),
        })
        .collect()
}

fn table_info(table: &TableMetadata) -> TableInfo {
    TableInfo {
        name: table.name().to_string(),
        table_type: table.table_type().map(str::to_string),
        columns: columns(table.columns()),
        partition_keys: columns(table.partition_keys()),
        parameters: table
            .parameters()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        create_time: table.create_time().and_then(|t| {
            t.fmt(aws_sdk_athena::primitives::DateTimeFormat::DateTime)
                .ok()
        }),
    }
}

impl CallerAthena {
    /// ListDataCatalogs, every page (up to [`MAX_PAGES`]).
    pub async fn data_catalogs(&self) -> Result<Listing<DataCatalog>, AthenaError> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let output = self
                .client()
                .list_data_catalogs()
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AthenaError::from_sdk(LIST_CATALOGS, "", 0, e))?;
            items.extend(output.data_catalogs_summary().iter().map(|c| DataCatalog {
                name: c.catalog_name().unwrap_or_default().to_string(),
                catalog_type: c.r#type().map(|t| t.as_str().to_string()),
            }));
            token = output.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(Listing { items, cut: false });
            }
        }
        Ok(Listing { items, cut: true })
    }

    /// ListDatabases of `catalog`, every page (up to [`MAX_PAGES`]).
    pub async fn databases(&self, catalog: &str) -> Result<Listing<DatabaseInfo>, AthenaError> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let output = self
                .client()
                .list_databases()
                .catalog_name(catalog)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AthenaError::from_sdk(LIST_DATABASES, catalog, 0, e))?;
            items.extend(output.database_list().iter().map(|d| DatabaseInfo {
                name: d.name().to_string(),
                description: d.description().map(str::to_string),
            }));
            token = output.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(Listing { items, cut: false });
            }
        }
        Ok(Listing { items, cut: true })
    }

    /// ListTableMetadata of `catalog`.`database`, optionally filtered by Athena's `expression`
    /// (a regular expression on the table name), every page (up to [`MAX_PAGES`]).
    pub async fn tables(
        &self,
        catalog: &str,
        database: &str,
        expression: Option<&str>,
    ) -> Result<Listing<TableInfo>, AthenaError> {
        let target = format!("{catalog}.{database}");
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let output = self
                .client()
                .list_table_metadata()
                .catalog_name(catalog)
                .database_name(database)
                .set_expression(expression.map(str::to_string))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AthenaError::from_sdk(LIST_TABLES, target.clone(), 0, e))?;
            items.extend(output.table_metadata_list().iter().map(table_info));
            token = output.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(Listing { items, cut: false });
            }
        }
        Ok(Listing { items, cut: true })
    }

    /// GetTableMetadata of one table.
    pub async fn table(
        &self,
        catalog: &str,
        database: &str,
        table: &str,
    ) -> Result<TableInfo, AthenaError> {
        let target = format!("{catalog}.{database}.{table}");
        let output = self
            .client()
            .get_table_metadata()
            .catalog_name(catalog)
            .database_name(database)
            .table_name(table)
            .send()
            .await
            .map_err(|e| AthenaError::from_sdk(GET_TABLE, target.clone(), 0, e))?;
        output.table_metadata().map(table_info).ok_or_else(|| {
            let kind = AthenaErrorKind::InvalidRequest("Athena returned no table".into());
            AthenaError::new(GET_TABLE, target, kind)
        })
    }

    /// The workgroup to run in: `asked`, else the operator's `ATHENA_WORKGROUP`, else the one
    /// discovered for this caller (kept per caller for a few minutes).
    pub async fn workgroup(
        &self,
        factory: &AthenaFactory,
        asked: Option<&str>,
    ) -> Result<String, AthenaError> {
        if let Some(name) = asked.map(str::trim).filter(|n| !n.is_empty()) {
            return Ok(name.to_string());
        }
        if let Some(name) = &factory.settings().workgroup {
            return Ok(name.clone());
        }
        factory
            .workgroups
            .get_or_fetch(self.caller, || self.discover_workgroup())
            .await
    }

    /// The enabled workgroups the caller may use, preferring the catalog's own (a name with
    /// `quilt`) and one with a query result location; `primary` when nothing better is seen
    /// (also when the caller may not list workgroups).
    async fn discover_workgroup(&self) -> Result<String, AthenaError> {
        let listed = match self.client().list_work_groups().send().await {
            Ok(listed) => listed,
            Err(error) => {
                let error = AthenaError::from_sdk(LIST_WORKGROUPS, "", 0, error);
                return match error.kind {
                    AthenaErrorKind::AccessDenied(_) => Ok(PRIMARY_WORKGROUP.to_string()),
                    _ => Err(error),
                };
            }
        };
        let mut enabled: Vec<String> = listed
            .work_groups()
            .iter()
            .filter(|w| w.state() == Some(&WorkGroupState::Enabled))
            .filter_map(|w| w.name().map(str::to_string))
            .collect();
        // The catalog's own workgroups first, then the rest, each group in name order.
        enabled.sort_by_key(|name| (!name.to_ascii_lowercase().contains("quilt"), name.clone()));
        for name in enabled.iter().take(MAX_WORKGROUPS_INSPECTED) {
            if self.has_output_location(name).await {
                return Ok(name.clone());
            }
        }
        let fallback = enabled
            .iter()
            .find(|name| *name == PRIMARY_WORKGROUP)
            .or(enabled.first());
        Ok(fallback.map_or_else(|| PRIMARY_WORKGROUP.to_string(), Clone::clone))
    }

    /// Whether the workgroup names a query result location (a query without one fails).
    async fn has_output_location(&self, name: &str) -> bool {
        let Ok(output) = self.client().get_work_group().work_group(name).send().await else {
            tracing::debug!(workgroup = name, action = GET_WORKGROUP, "not inspectable");
            return false;
        };
        output
            .work_group()
            .and_then(|w| w.configuration())
            .and_then(|c| c.result_configuration())
            .and_then(|r| r.output_location())
            .is_some_and(|l| !l.is_empty())
    }
}
