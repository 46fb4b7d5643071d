/** The probe's diagnosis catalogue against PostgreSQL 14 (npm build). */
import { probeCatalogue } from './catalogue.js';

probeCatalogue(14);
