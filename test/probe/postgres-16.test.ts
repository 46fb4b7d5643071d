/** The probe's diagnosis catalogue against PostgreSQL 16 (npm build). */
import { probeCatalogue } from './catalogue.js';

probeCatalogue(16);
