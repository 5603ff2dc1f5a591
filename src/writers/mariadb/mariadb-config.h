/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-config.h - /etc/stasis/writers/mariadb.conf: how to reach the server and how to hold its commits */
#pragma once

#define MARIADB_CONFIG_FILE "/etc/stasis/writers/mariadb.conf"
#define MARIADB_DEFAULT_SOCKET "/run/mysqld/mysqld.sock"

typedef enum MariadbMethod {
        MARIADB_METHOD_AUTO,            /* backup-stage on MariaDB 10.4.1 and later, else ftwrl */
        MARIADB_METHOD_BACKUP_STAGE,    /* BACKUP STAGE START ... BLOCK_COMMIT ... END */
        MARIADB_METHOD_FTWRL,           /* FLUSH TABLES WITH READ LOCK ... UNLOCK TABLES */
} MariadbMethod;

typedef struct MariadbConfig {
        char *socket;           /* Socket=; NULL for TCP */
        char *host;             /* Host= */
        unsigned port;          /* Port=, 3306 */
        char *user;             /* User=, root (unix_socket authentication) */
        char *password_file;    /* PasswordFile= */
        char *password;         /* read from it */
        char *instance;         /* [Writer] Instance= */
        unsigned freeze_timeout_sec; /* [Writer] FreezeTimeoutSec=, 60 */
        MariadbMethod method;   /* Method= */
        unsigned timeout_sec;   /* CommandTimeoutSec=, 30 */
} MariadbConfig;

const char *mariadb_method_to_string(MariadbMethod m);
int mariadb_config_load(const char *path, int must_exist, MariadbConfig **ret);
MariadbConfig *mariadb_config_free(MariadbConfig *c);
