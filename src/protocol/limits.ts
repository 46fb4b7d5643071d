/**
 * PostgreSQL's own size limits that the wire protocol exposes, each defined
 * once. Values and names follow the PostgreSQL sources they come from.
 */

/**
 * MAX_STARTUP_PACKET_LENGTH (libpq/pqcomm.h): the body of a startup-type
 * packet, without its length word.
 */
export const MAX_STARTUP_PACKET_LENGTH = 10000;

/**
 * NAMEDATALEN - 1 (pg_config_manual.h): the most bytes a PostgreSQL `name`
 * holds — role, database and identifier names are cut to this length.
 */
export const PG_MAX_NAME_BYTES = 63;

/**
 * PG_MAX_AUTH_TOKEN_LENGTH (libpq/auth.h): the largest authentication
 * message (PasswordMessage, SASL and OAUTHBEARER responses) PostgreSQL reads.
 */
export const PG_MAX_AUTH_TOKEN_LENGTH = 65535;
