//! What the server learns about the registry's release by talking to it. Catalogs in the field
//! run older registries for months; where an operation needs a newer form, the server tries it,
//! and when the registry refuses it as invalid GraphQL, remembers that for the rest of the
//! process (one registry per process) and sends the older form from then on.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::CatalogErrorKind;

/// The registry release facts learned so far; all start as "the newest form works".
#[derive(Debug, Default)]
pub struct RegistryFacts {
    /// The registry refused `firstPage(ordering:)` (August 2026): it is older.
    older_package_search: AtomicBool,
}

impl RegistryFacts {
    /// Whether the registry is known to lack the August 2026 package search form.
    pub fn older_package_search(&self) -> bool {
        self.older_package_search.load(Ordering::Relaxed)
    }

    /// Remembers that the registry lacks the August 2026 package search form.
    pub fn note_older_package_search(&self) {
        if !self.older_package_search.swap(true, Ordering::Relaxed) {
            tracing::info!(
                "the registry refused the August 2026 package search; using the older form from now on"
            );
        }
    }
}

/// Whether `kind` is a registry's validation refusal of the August 2026 package search form:
/// GraphQL errors about `ordering` (its argument and the `PackageOrdering` scalar) or about
/// the `PackagesFirstPageResult` union. Any other failure is not a sign of an older release.
pub fn refuses_newer_package_search(kind: &CatalogErrorKind) -> bool {
    let CatalogErrorKind::GraphQl(messages) = kind else {
        return false;
    };
    messages.iter().any(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("ordering") || m.contains("packagesfirstpageresult")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_validation_errors_about_the_newer_form_count() {
        let graphql = |m: &str| CatalogErrorKind::GraphQl(vec![m.to_string()]);
        assert!(refuses_newer_package_search(&graphql(
            "Unknown argument \"ordering\" on field \"PackagesSearchResultSet.firstPage\"."
        )));
        assert!(refuses_newer_package_search(&graphql(
            "Unknown type \"PackageOrdering\"."
        )));
        assert!(!refuses_newer_package_search(&graphql("Forbidden")));
        assert!(!refuses_newer_package_search(
            &CatalogErrorKind::InvalidInput(vec!["ordering: bad".into()])
        ));
        let facts = RegistryFacts::default();
        assert!(!facts.older_package_search());
        facts.note_older_package_search();
        assert!(facts.older_package_search());
    }
}
