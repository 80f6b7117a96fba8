//! The house's floors: no two top-level modules of `src/` import each other, directly or
//! through others. A circle would tie `catalog` or `aws` to the tools and the MCP layer again,
//! so they could no longer be read, tested or feature-gated alone (see the Layout in lib.rs).
//! Imports are read from the source (`crate::<module>` paths); unit-test modules are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level module of each `.rs` file under `src/`, and the modules its code names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let Some(relative) = relative.strip_suffix(".rs") else {
                continue;
            };
            let module = relative.split('/').next().unwrap().to_string();
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may reach anywhere; they are not part of the house.
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
            let named = edges.entry(module.clone()).or_default();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    named.insert(name);
                }
            }
        }
    }
    edges
}

/// A circle through `start`, if there is one.
fn circle_from(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in edges.get(last).into_iter().flatten() {
            if next == start {
                let mut circle = path.clone();
                circle.push(next.clone());
                return Some(circle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_itself_through_others() {
    let edges = imports();
    assert!(
        edges.contains_key("catalog") && edges.contains_key("tools"),
        "{edges:?}"
    );
    let circles: Vec<String> = edges
        .keys()
        .filter_map(|module| circle_from(&edges, module))
        .map(|circle| circle.join(" -> "))
        .collect();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_catalog_and_aws_stand_on_low_floors() {
    let edges = imports();
    let low = [
        "config",
        "http",
        "identity",
        "json_budget",
        "metrics",
        "time",
        "ttl_map",
        "toolset",
        "tool_error",
    ];
    for module in ["catalog", "aws"] {
        let above: Vec<&String> = edges[module]
            .iter()
            .filter(|name| !low.contains(&name.as_str()) && *name != "catalog")
            .collect();
        assert!(above.is_empty(), "{module} imports {above:?}");
    }
}

#[test]
fn the_check_finds_a_circle_when_there_is_one() {
    let mut edges = imports();
    edges
        .get_mut("catalog")
        .unwrap()
        .insert("tools".to_string());
    assert!(circle_from(&edges, "catalog").is_some());
}
