/** A pg_hba.conf with a +group line and a samerole line (hba check's membership tests). */
export const GROUP_HBA = ['local all postgres peer', 'host all +admins 10.0.0.0/8 scram-sha-256', 'host samerole all 10.0.0.0/8 md5', 'host all all 0.0.0.0/0 reject', ''].join('\n');
