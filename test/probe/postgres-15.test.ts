/** The probe's diagnosis catalogue against Debian's PostgreSQL 15, and the cases that do not depend on the version. */
import { probeCatalogue } from './catalogue.js';
import { versionIndependentCases } from './postgres-extras.js';

probeCatalogue(15, versionIndependentCases);
