//! Every GraphQL operation we send is checked against `schema/catalog.graphql`: it must parse,
//! validate, hold exactly one operation named like its file, and be listed in `queries::ALL`.
//! Each operation's normalized text is snapshotted, so a change shows up in review. Shared
//! selections are fragment files in `schema/queries/fragments/`, one fragment each, appended to
//! the operations that spread them (validation refuses a missing or an unused one).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use quilt_mcp::catalog::queries::{ALL, Operation, SCHEMA, SCHEMA_JANUARY_2026};

const SCHEMA_FILE: &str = "schema/catalog.graphql";
const JANUARY_FILE: &str = "schema/catalog-2026-01.graphql";

/// Operations only a registry from August 2026 on accepts, each with what the server does on
/// an older one (a fallback operation, or a clear error naming the release). Every other
/// operation must validate against both schemas: catalogs in the field run older releases.
const NEWER_ONLY: &[(&str, &str)] = &[
    (
        "SearchPackages",
        "search_catalog with `order` sends it first; when the registry refuses `ordering` the \
         server remembers that and sends SearchPackagesJanuary2026 instead (size ordering then \
         answers an error naming the August 2026 release)",
    ),
    (
        "RestoreObject",
        "bucket_object_restore: the registry's validation error becomes a tool error naming the June 2026 release",
    ),
];

/// The older forms the server falls back to: valid against the January 2026 schema only
/// (checked there instead), each with the newer operation it stands in for.
const OLDER_ONLY: &[(&str, &str)] = &[("SearchPackagesJanuary2026", "SearchPackages")];
const QUERIES_DIR: &str = "schema/queries";
const FRAGMENTS_DIR: &str = "schema/queries/fragments";

/// Snapshots go to the top-level `snapshots/`, named `<subject>__<case>` without module prefix.
fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

fn schema() -> Valid<Schema> {
    parsed(SCHEMA, SCHEMA_FILE)
}

fn parsed(text: &str, file: &str) -> Valid<Schema> {
    match Schema::parse_and_validate(text, file) {
        Ok(schema) => schema,
        Err(invalid) => panic!("{file} is not a valid schema:\n{}", invalid.errors),
    }
}

fn file_of(name: &str) -> String {
    format!("{QUERIES_DIR}/{name}.graphql")
}

/// Parses and validates one operation's text; `Ok` holds its normalized form, `Err` a message
/// naming the file and what is wrong with it.
fn check(schema: &Valid<Schema>, name: &str, text: &str) -> Result<String, String> {
    let file = file_of(name);
    let document =
        ExecutableDocument::parse_and_validate(schema, text, &file).map_err(|invalid| {
            format!(
                "{file} is not valid against {SCHEMA_FILE}:\n{}",
                invalid.errors
            )
        })?;
    let found: Vec<String> = document
        .operations
        .iter()
        .map(|operation| match &operation.name {
            Some(found) => found.to_string(),
            None => "(anonymous)".to_string(),
        })
        .collect();
    if found != [name] {
        return Err(format!(
            "{file} must hold exactly one operation, named {name}; it holds {found:?}"
        ));
    }
    Ok(document.serialize().to_string())
}

#[test]
fn schema_is_valid() {
    schema();
}

#[test]
fn every_operation_validates_against_the_schema() {
    let schema = schema();
    let failures: Vec<String> = ALL
        .iter()
        .filter(|operation| !is_older_only(operation.name))
        .filter_map(|operation| check(&schema, operation.name, operation.text).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn is_older_only(name: &str) -> bool {
    OLDER_ONLY.iter().any(|(older, _)| *older == name)
}

/// The schema an operation is checked and snapshotted against: the January one for the
/// older forms, the current one for every other.
fn schema_for(name: &str) -> Valid<Schema> {
    if is_older_only(name) {
        parsed(SCHEMA_JANUARY_2026, JANUARY_FILE)
    } else {
        schema()
    }
}

#[test]
fn every_older_form_fails_on_the_newer_schema_and_stands_in_for_a_newer_only_operation() {
    let august = schema();
    for (older, newer) in OLDER_ONLY {
        let operation = ALL
            .iter()
            .find(|op| op.name == *older)
            .unwrap_or_else(|| panic!("OLDER_ONLY names {older}, which is not in queries::ALL"));
        assert!(
            check(&august, older, operation.text).is_err(),
            "{older} is listed in OLDER_ONLY but validates against {SCHEMA_FILE}"
        );
        assert!(
            NEWER_ONLY.iter().any(|(name, _)| name == newer),
            "{older} stands in for {newer}, which is not in NEWER_ONLY"
        );
    }
}

#[test]
fn every_operation_but_the_newer_ones_validates_against_the_january_2026_schema() {
    let january = parsed(SCHEMA_JANUARY_2026, JANUARY_FILE);
    let mut failures = Vec::new();
    for operation in ALL {
        let newer = NEWER_ONLY.iter().find(|(name, _)| *name == operation.name);
        match (check(&january, operation.name, operation.text), newer) {
            (Err(e), None) => failures.push(e.replace(SCHEMA_FILE, JANUARY_FILE)),
            (Ok(_), Some((name, _))) => failures.push(format!(
                "{name} is listed in NEWER_ONLY but validates against {JANUARY_FILE}"
            )),
            _ => {}
        }
    }
    for (name, _) in NEWER_ONLY {
        if !ALL.iter().any(|op| op.name == *name) {
            failures.push(format!(
                "NEWER_ONLY names {name}, which is not in queries::ALL"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_query_file_is_in_all_and_every_entry_has_its_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(QUERIES_DIR);
    let entries = fs::read_dir(&dir).unwrap_or_else(|err| panic!("reading {QUERIES_DIR}: {err}"));
    let mut on_disk = BTreeSet::new();
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        if file_name == "fragments" && path.is_dir() {
            continue;
        }
        match file_name.strip_suffix(".graphql") {
            Some(stem) => on_disk.insert(stem.to_string()),
            None => panic!("{QUERIES_DIR}/{file_name} is not a .graphql file"),
        };
    }
    let listed: BTreeSet<String> = ALL.iter().map(|op| op.name.to_string()).collect();
    assert_eq!(
        listed.len(),
        ALL.len(),
        "queries::ALL names an operation twice"
    );

    let not_listed: Vec<_> = on_disk.difference(&listed).map(|n| file_of(n)).collect();
    assert!(
        not_listed.is_empty(),
        "files missing from queries::ALL: {not_listed:?}"
    );
    let no_file: Vec<_> = listed.difference(&on_disk).map(|n| file_of(n)).collect();
    assert!(
        no_file.is_empty(),
        "queries::ALL entries without a file: {no_file:?}"
    );

    // The constant must embed the file its name points to, not a sibling's, then only
    // fragment files.
    let fragments = fragment_files();
    for Operation { name, text } in ALL {
        let file = file_of(name);
        let on_disk = fs::read_to_string(dir.join(format!("{name}.graphql")))
            .unwrap_or_else(|err| panic!("reading {file}: {err}"));
        let Some(mut rest) = text.strip_prefix(on_disk.as_str()) else {
            panic!("the constant named {name} does not start with {file}");
        };
        while !rest.is_empty() {
            let next = fragments
                .values()
                .find_map(|f| rest.strip_prefix(f.as_str()));
            rest = next.unwrap_or_else(|| {
                panic!("the constant named {name} has more than {file} and fragment files")
            });
        }
    }
}

/// Each fragment file's name (without `.graphql`) and text.
fn fragment_files() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(FRAGMENTS_DIR);
    let entries = fs::read_dir(&dir).unwrap_or_else(|err| panic!("reading {FRAGMENTS_DIR}: {err}"));
    let mut files = BTreeMap::new();
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let Some(stem) = file_name.strip_suffix(".graphql") else {
            panic!("{FRAGMENTS_DIR}/{file_name} is not a .graphql file");
        };
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("reading {FRAGMENTS_DIR}/{file_name}: {err}"));
        files.insert(stem.to_string(), text);
    }
    files
}

#[test]
fn every_fragment_file_holds_its_fragment_and_is_used() {
    for (name, text) in fragment_files() {
        let file = format!("{FRAGMENTS_DIR}/{name}.graphql");
        let defines: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("fragment "))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        assert_eq!(
            defines,
            [name.as_str()],
            "{file} must define exactly fragment {name}"
        );
        assert!(
            ALL.iter().any(|op| op.text.contains(text.as_str())),
            "{file} is appended to no operation in queries::ALL"
        );
    }
}

#[test]
fn every_query_snapshot_belongs_to_an_operation() {
    // insta never deletes a snapshot, so one left by a removed operation would linger unseen.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let entries = fs::read_dir(&dir).unwrap_or_else(|err| panic!("reading snapshots/: {err}"));
    let listed: BTreeSet<&str> = ALL.iter().map(|op| op.name).collect();
    let mut orphans = Vec::new();
    for entry in entries {
        let file_name = entry.expect("a directory entry").file_name();
        let file_name = file_name.to_string_lossy();
        if let Some(name) = file_name.strip_suffix("__query.snap")
            && !listed.contains(name)
        {
            orphans.push(file_name.to_string());
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots of no operation in queries::ALL: {orphans:?}"
    );
}

#[test]
fn operation_snapshots() {
    for operation in ALL {
        let schema = schema_for(operation.name);
        let normalized =
            check(&schema, operation.name, operation.text).unwrap_or_else(|e| panic!("{e}"));
        let mut settings = snapshot_settings();
        settings.set_description(file_of(operation.name));
        settings.bind(|| {
            insta::assert_snapshot!(format!("{}__query", operation.name), normalized);
        });
    }
}

#[test]
fn a_field_the_schema_lacks_fails_validation() {
    let wrong = "query AuthStatus { me { name favouriteColour } }";
    let error =
        check(&schema(), "AuthStatus", wrong).expect_err("an unknown field must not validate");
    assert!(
        error.contains("schema/queries/AuthStatus.graphql"),
        "{error}"
    );
    assert!(error.contains("favouriteColour"), "{error}");
}

#[test]
fn an_operation_named_unlike_its_file_fails() {
    let misnamed = "query WhoAmI { me { name } }";
    let error =
        check(&schema(), "AuthStatus", misnamed).expect_err("a misnamed operation must fail");
    assert!(error.contains("named AuthStatus"), "{error}");

    let two = "query AuthStatus { me { name } } query Other { me { email } }";
    let error = check(&schema(), "AuthStatus", two).expect_err("two operations must fail");
    assert!(error.contains("exactly one operation"), "{error}");
}
