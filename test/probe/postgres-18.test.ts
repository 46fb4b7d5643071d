/** The probe's diagnosis catalogue against PostgreSQL 18 (npm build). */
import { probeCatalogue } from './catalogue.js';

probeCatalogue(18);
