//! The names enums go by where operators type them and files hold them
//! (`password-reset`, `in-progress`, `dspt-standards-met`).
//!
//! One derive lists and spells the variants (strum's `VariantArray` and
//! `IntoStaticStr`, kebab-case unless a variant says otherwise), and
//! [`named!`] gives every such enum the same list, spelling, parsing and
//! printing, so an unknown name is refused the same way everywhere.

/// A name that names nothing, with the list of what it could have been.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}: use one of {choices}")]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub choices: String,
}

/// Gives an enum deriving `VariantArray` and `IntoStaticStr` its `ALL`,
/// `slug`, `FromStr` (case and surrounding space ignored) and `Display`;
/// `$what` names it in refusals ("unknown category …"). Aliases are other
/// words that parse (`yes` for an IG status that meets the requirement).
macro_rules! named {
    ($ty:ident, $what:literal) => {
        $crate::domain::names::named!($ty, $what, aliases: []);
    };
    ($ty:ident, $what:literal, aliases: [$($alias:literal => $variant:expr),* $(,)?]) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = <$ty as strum::VariantArray>::VARIANTS;

            /// The name operators type and files hold.
            pub fn slug(self) -> &'static str {
                self.into()
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::domain::names::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_lowercase();
                let aliases: &[(&str, $ty)] = &[$(($alias, $variant)),*];
                let alias = aliases.iter().find(|(a, _)| *a == wanted).map(|(_, v)| *v);
                alias.or_else(|| $ty::ALL.iter().copied().find(|v| v.slug() == wanted)).ok_or_else(|| {
                    let names = aliases.iter().map(|(a, _)| *a).chain($ty::ALL.iter().map(|v| v.slug()));
                    $crate::domain::names::UnknownName {
                        what: $what,
                        given: s.to_owned(),
                        choices: names.collect::<Vec<_>>().join(", "),
                    }
                })
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.slug())
            }
        }
    };
}

pub(crate) use named;
