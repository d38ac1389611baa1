//! The stable field `code`s of docs/api.md's `errors` list, as a closed set: a misspelt code
//! does not compile, and every code has its message (`http::problem::catalogue`).

/// Declares an enum of stable wire codes: each variant with the text clients branch on,
/// `as_str` to write it, and `ALL` to go through every one (the catalogue's tests do).
macro_rules! wire_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $wire:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            /// The code as clients see it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_codes;

wire_codes! {
    /// Why one field was refused.
    pub enum FieldCode {
        Required = "required",
        TooLong = "too_long",
        ForbiddenCharacter = "forbidden_character",
        InvalidCustomerId = "invalid_customer_id",
        InvalidAccessKey = "invalid_access_key",
        InvalidLength = "invalid_length",
        InvalidEmail = "invalid_email",
        InvalidSerial = "invalid_serial",
        InvalidDeviceId = "invalid_device_id",
        InvalidDate = "invalid_date",
        /// Not one of a keyword's values.
        InvalidValue = "invalid_value",
        /// A JSON value of the wrong type (a number for a string…).
        InvalidType = "invalid_type",
        NameTooLong = "name_too_long",
        InvalidPhone = "invalid_phone",
        MobileEmailNotAllowed = "mobile_email_not_allowed",
        ConfirmationRequired = "confirmation_required",
        InvalidProviderCode = "invalid_provider_code",
        DuplicateProvider = "duplicate_provider",
        OutOfRange = "out_of_range",
        InvalidIdempotencyKey = "invalid_idempotency_key",
        UnknownField = "unknown_field",
        MoreThanOneStandard = "more_than_one_standard",
        NotAllowedForMonthly = "not_allowed_for_monthly",
        /// A page size outside 1–200, or not a number.
        InvalidLimit = "invalid_limit",
        /// A cursor that is no `next_cursor` this list gave out.
        InvalidCursor = "invalid_cursor",
    }
}
