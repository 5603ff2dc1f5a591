/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-config.h - /etc/stasis/writers/mariadb.conf: how to reach the server and how to hold its commits */
#pragma once

#include "writer-config.h"

#define MARIADB_CONFIG_FILE "/etc/stasis/writers/mariadb.conf"
#define MARIADB_DEFAULT_SOCKET "/run/mysqld/mysqld.sock"

typedef enum MariadbMethod {
        MARIADB_METHOD_AUTO,            /* backup-stage on MariaDB 10.4.1 and later, else ftwrl */
        MARIADB_METHOD_BACKUP_STAGE,    /* BACKUP STAGE START ... BLOCK_COMMIT ... END */
        MARIADB_METHOD_FTWRL,           /* FLUSH TABLES WITH READ LOCK ... UNLOCK TABLES */
} MariadbMethod;

typedef struct MariadbConfig {
        WriterServerConfig server; /* Socket= or Host= (default MARIADB_DEFAULT_SOCKET), Port=, 3306,
                                    * User=, root (unix_socket authentication), PasswordFile=,
                                    * CommandTimeoutSec=, 30; [Writer] Instance=, FreezeTimeoutSec=, 60 */
        MariadbMethod method;   /* Method= */
} MariadbConfig;

const char *mariadb_method_to_string(MariadbMethod m);
int mariadb_config_load(const char *path, int must_exist, MariadbConfig **ret);
MariadbConfig *mariadb_config_free(MariadbConfig *c);
