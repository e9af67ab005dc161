//! Enum dispatch: an enum whose variants each hold one implementation of some
//! traits implements them too, every method calling the variant's value.
//!
//! ```ignore
//! dispatch! {
//!     AnyStore { Dir, S3 }
//!     impl ObjectStore {
//!         async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
//!         fn locate(&self, key: &str) -> String;
//!     }
//! }
//! ```
//!
//! Each method is named once with its signature; the `match` over the
//! variants is generated. The methods take `&self`; an `async fn` awaits the
//! variant's future inside its own, so a trait declaring
//! `fn … -> impl Future<Output = T> + Send` is met without boxing.

/// Implements traits for an enum by forwarding to its variants (see the
/// module documentation).
macro_rules! dispatch {
    (
        $enum:ident $variants:tt
        $(impl $trait:ident { $($methods:tt)* })*
    ) => {
        $(
            impl $trait for $enum {
                $crate::dispatch::dispatch!(@methods $enum $variants $($methods)*);
            }
        )*
    };
    (@methods $enum:ident $variants:tt) => {};
    (
        @methods $enum:ident $variants:tt
        async fn $method:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;
        $($rest:tt)*
    ) => {
        async fn $method(&self $(, $arg: $ty)*) -> $ret {
            $crate::dispatch::dispatch!(@match self $enum $variants inner => inner.$method($($arg),*).await)
        }
        $crate::dispatch::dispatch!(@methods $enum $variants $($rest)*);
    };
    (
        @methods $enum:ident $variants:tt
        fn $method:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;
        $($rest:tt)*
    ) => {
        fn $method(&self $(, $arg: $ty)*) -> $ret {
            $crate::dispatch::dispatch!(@match self $enum $variants inner => inner.$method($($arg),*))
        }
        $crate::dispatch::dispatch!(@methods $enum $variants $($rest)*);
    };
    (@match $value:ident $enum:ident { $($variant:ident),+ $(,)? } $inner:ident => $call:expr) => {
        match $value {
            $($enum::$variant($inner) => $call,)+
        }
    };
}

pub(crate) use dispatch;
