//! Sections declared once, as structs: [`config_section!`](crate::config_section) turns a struct
//! whose fields are keys (and groups of keys) into its [`SectionSpec`] and a typed reader.

use super::{ConfigError, FromConfigValue, KeySpec, SectionSpec, SectionView, ValueError};

/// Keys read together from one section: a whole section, or a group of keys that several
/// sections share (the listener keys of every sink, the keys of every connector).
pub trait ConfigKeys: Sized {
    /// The declared keys, in declaration order, groups flattened.
    fn keys() -> Vec<KeySpec>;
    /// Reads every key from `view`: the environment (for keys that name a variable), then the
    /// files, then the declared default. The error names the file, line, section and key.
    fn read(view: &SectionView<'_>) -> Result<Self, ConfigError>;
}

/// A section of `config.ini`, or a family of sections (`Connector.console.*`).
pub trait ConfigSection: ConfigKeys {
    /// The section's declaration, which validation, typed access and the reference docs read.
    fn spec() -> &'static SectionSpec;
}

/// One field of a declared struct: a key (a [`FromConfigValue`] type, required unless it has
/// a default, or an `Option` of one), or a group of keys ([`ConfigKeys`]) flattened in.
pub trait ConfigPart: Sized {
    /// The keys the field adds, given the one its name, doc comment and `#[key(...)]` describe.
    fn keys(declared: KeySpec) -> Vec<KeySpec>;
    /// Reads the field; `key` is the field's name.
    fn read_part(view: &SectionView<'_>, key: &str) -> Result<Self, ConfigError>;
}

/// Reads `raw` as a `T` and drops it.
fn check<T: FromConfigValue>(raw: &str) -> Result<(), ValueError> {
    T::from_config_value(raw).map(drop)
}

impl<T: FromConfigValue> ConfigPart for T {
    fn keys(declared: KeySpec) -> Vec<KeySpec> {
        vec![KeySpec {
            kind: T::KIND,
            optional: false,
            typed_check: Some(check::<T>),
            ..declared
        }]
    }

    fn read_part(view: &SectionView<'_>, key: &str) -> Result<Self, ConfigError> {
        view.get(key)
    }
}

impl<T: FromConfigValue> ConfigPart for Option<T> {
    fn keys(declared: KeySpec) -> Vec<KeySpec> {
        vec![KeySpec {
            kind: T::KIND,
            optional: true,
            typed_check: Some(check::<T>),
            ..declared
        }]
    }

    fn read_part(view: &SectionView<'_>, key: &str) -> Result<Self, ConfigError> {
        view.get_opt(key)
    }
}

/// Declares a config section as a struct: each field is a key named after it, its doc comment
/// is the key's documentation, its type the key's type (`Option<T>` for a key that may be left
/// out), and `#[key(...)]` adds what the type cannot say:
///
/// - `default = "30s"`: the value when the key is absent, as it would be written in the file;
/// - `env = "VARIABLE"`: an environment variable that wins over the files (for secrets);
/// - `default_doc = "..."`: the default in words, when it is not one value;
/// - `example = "..."`: a value for `config.ini.example` when the key has no default.
///
/// A field whose type is another declared struct without `#[section]` is a group of keys
/// flattened into the section (the listener keys of every sink).
///
/// `#[section("Pattern", ...)]` makes the struct a section; what follows the pattern are
/// [`SectionSpec`] builder calls: `plugin` (it accepts `enabled`), `instance = "main"`,
/// `example_commented`, `example_disabled`, `example_description_only`. The struct's doc
/// comment is the section's documentation.
///
/// ```
/// use std::time::Duration;
/// use switchboard_api::config::{Config, ConfigSection};
///
/// switchboard_api::config_section! {
///     /// The `remember` and `recall` commands.
///     #[section("Notes", plugin)]
///     pub struct NotesSection {
///         /// Longest note in bytes.
///         #[key(default = "200")]
///         pub max_length: usize,
///         /// How long a note is kept; unset, forever.
///         #[key(example = "30d")]
///         pub keep: Option<Duration>,
///     }
/// }
///
/// let config = Config::from_text("config.ini", "[Notes]\nmax_length = 80\n").unwrap();
/// let notes: NotesSection = config.read("Notes").unwrap();
/// assert_eq!((notes.max_length, notes.keep), (80, None));
/// assert_eq!(NotesSection::spec().keys[1].name, "max_length");
/// ```
#[macro_export]
macro_rules! config_section {
    (
        $(#[doc = $doc:literal])*
        $(#[section($pattern:literal $(, $smeta:ident $(= $sval:expr)?)* $(,)?)])?
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $fdoc:literal])*
                $(#[key($($kmeta:ident = $kval:expr),* $(,)?)])?
                $fvis:vis $field:ident : $fty:ty
            ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $(
                $(#[doc = $fdoc])*
                $fvis $field: $fty,
            )*
        }

        impl $name {
            /// The struct's doc comment: what the section (or group of keys) is for.
            #[allow(dead_code)]
            const DOC: &'static str = concat!($($doc, "\n"),*);
        }

        impl $crate::config::ConfigKeys for $name {
            fn keys() -> ::std::vec::Vec<$crate::config::KeySpec> {
                let mut keys = ::std::vec::Vec::new();
                $(
                    keys.extend(<$fty as $crate::config::ConfigPart>::keys(
                        $crate::config::KeySpec::new(
                            stringify!($field),
                            $crate::config::ValueKind::Text,
                            concat!($($fdoc, "\n"),*),
                        )
                        $($(.$kmeta($kval))*)?
                    ));
                )*
                keys
            }

            fn read(
                view: &$crate::config::SectionView<'_>,
            ) -> ::std::result::Result<Self, $crate::config::ConfigError> {
                ::std::result::Result::Ok($name {
                    $(
                        $field: <$fty as $crate::config::ConfigPart>::read_part(
                            view,
                            stringify!($field),
                        )?,
                    )*
                })
            }
        }

        impl $crate::config::ConfigPart for $name {
            fn keys(_declared: $crate::config::KeySpec) -> ::std::vec::Vec<$crate::config::KeySpec> {
                <$name as $crate::config::ConfigKeys>::keys()
            }

            fn read_part(
                view: &$crate::config::SectionView<'_>,
                _key: &str,
            ) -> ::std::result::Result<Self, $crate::config::ConfigError> {
                <$name as $crate::config::ConfigKeys>::read(view)
            }
        }

        $(
            impl $crate::config::ConfigSection for $name {
                fn spec() -> &'static $crate::config::SectionSpec {
                    static SPEC: ::std::sync::OnceLock<$crate::config::SectionSpec> =
                        ::std::sync::OnceLock::new();
                    SPEC.get_or_init(|| {
                        $crate::config::SectionSpec::new(
                            $pattern,
                            $name::DOC,
                            <$name as $crate::config::ConfigKeys>::keys(),
                        )
                        $(.$smeta($($sval)?))*
                    })
                }
            }
        )?
    };
}
