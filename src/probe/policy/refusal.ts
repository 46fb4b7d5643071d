import type { ClientFailureReason, DiagnosisCode } from '../diagnose.js';

/** A client-side refusal libpq would end the attempt with: the diagnosis code and libpq's error text. */
export interface Refusal {
  code: DiagnosisCode;
  message: string;
  reason?: ClientFailureReason;
}
