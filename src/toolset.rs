//! Toolsets: named groups of tools, one per area of `src/tools/`. The operator sets the ceiling
//! (`MCP_TOOLSETS`, `MCP_READ_ONLY`), a client may narrow it per request (`X-MCP-Toolsets`,
//! `X-MCP-Tools`, `X-MCP-Readonly`), never widen it, as in github-mcp-server.

/// One area's tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Toolset {
    Navigation,
    Buckets,
    Packages,
    Search,
    Athena,
    Tabulator,
    Visualization,
    Admin,
}

impl Toolset {
    /// Every toolset, in listing order.
    pub const ALL: &[Toolset] = &[
        Toolset::Navigation,
        Toolset::Buckets,
        Toolset::Packages,
        Toolset::Search,
        Toolset::Athena,
        Toolset::Tabulator,
        Toolset::Visualization,
        Toolset::Admin,
    ];

    /// The name operators and clients use.
    pub fn name(self) -> &'static str {
        match self {
            Toolset::Navigation => "navigation",
            Toolset::Buckets => "buckets",
            Toolset::Packages => "packages",
            Toolset::Search => "search",
            Toolset::Athena => "athena",
            Toolset::Tabulator => "tabulator",
            Toolset::Visualization => "visualization",
            Toolset::Admin => "admin",
        }
    }

    /// The toolset named `name` (any case), if there is one.
    pub fn from_name(name: &str) -> Option<Toolset> {
        Toolset::ALL
            .iter()
            .copied()
            .find(|toolset| toolset.name().eq_ignore_ascii_case(name.trim()))
    }

    fn bit(self) -> u8 {
        // The discriminants are 0..=7: a u8 holds exactly eight toolsets.
        1 << (self as u8)
    }
}

/// A set of toolsets: small and `Copy`, so a request can carry its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Toolsets(u8);

impl Toolsets {
    pub const NONE: Toolsets = Toolsets(0);

    /// Every toolset there is.
    pub fn all() -> Toolsets {
        Toolset::ALL
            .iter()
            .fold(Toolsets::NONE, |set, toolset| set.with(*toolset))
    }

    pub fn with(self, toolset: Toolset) -> Toolsets {
        Toolsets(self.0 | toolset.bit())
    }

    pub fn without(self, toolset: Toolset) -> Toolsets {
        Toolsets(self.0 & !toolset.bit())
    }

    pub fn contains(self, toolset: Toolset) -> bool {
        self.0 & toolset.bit() != 0
    }

    /// The toolsets in both.
    pub fn intersect(self, other: Toolsets) -> Toolsets {
        Toolsets(self.0 & other.0)
    }

    /// The toolsets in this set, in listing order.
    pub fn iter(self) -> impl Iterator<Item = Toolset> {
        Toolset::ALL
            .iter()
            .copied()
            .filter(move |toolset| self.contains(*toolset))
    }

    /// A comma-separated list of toolset names (`all` means every toolset). An unknown name is
    /// an error naming it and the known ones: a typo must not silently hide tools.
    pub fn parse(text: &str) -> Result<Toolsets, String> {
        let mut set = Toolsets::NONE;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name.eq_ignore_ascii_case("all") {
                set = Toolsets::all();
                continue;
            }
            match Toolset::from_name(name) {
                Some(toolset) => set = set.with(toolset),
                None => {
                    let known: Vec<&str> = Toolset::ALL.iter().map(|t| t.name()).collect();
                    return Err(format!(
                        "unknown toolset `{name}`; known: all, {}",
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(set)
    }

    /// The names, comma-separated, in listing order.
    pub fn names(self) -> String {
        self.iter().map(Toolset::name).collect::<Vec<_>>().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_any_case_and_unknown_names_are_refused() {
        let set = Toolsets::parse(" Buckets, search ,").unwrap();
        assert_eq!(set.names(), "buckets,search");
        assert_eq!(Toolsets::parse("all").unwrap(), Toolsets::all());
        assert_eq!(Toolsets::parse("").unwrap(), Toolsets::NONE);
        let error = Toolsets::parse("buckets,bukets").unwrap_err();
        assert!(
            error.contains("`bukets`") && error.contains("packages"),
            "{error}"
        );
    }

    #[test]
    fn every_toolset_has_its_own_bit_in_the_set() {
        // The set is a u8: one more toolset than eight needs a wider type.
        assert!(Toolset::ALL.len() <= 8);
        assert_eq!(Toolsets::all().iter().collect::<Vec<_>>(), Toolset::ALL);
        let charts = Toolsets::parse("visualization").unwrap();
        assert_eq!(charts.iter().collect::<Vec<_>>(), [Toolset::Visualization]);
    }

    #[test]
    fn sets_intersect_and_never_grow() {
        let ceiling = Toolsets::parse("buckets,packages").unwrap();
        let asked = Toolsets::parse("packages,admin").unwrap();
        assert_eq!(ceiling.intersect(asked).names(), "packages");
        assert!(!ceiling.intersect(asked).contains(Toolset::Admin));
        let every = Toolsets::all().iter().count();
        assert_eq!(
            Toolsets::all().without(Toolset::Admin).iter().count(),
            every - 1
        );
    }
}
