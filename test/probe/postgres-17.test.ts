/** The probe's diagnosis catalogue against PostgreSQL 17 (npm build). */
import { probeCatalogue } from './catalogue.js';

probeCatalogue(17);
