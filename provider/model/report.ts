import type { Quantization } from '../api/ark';

export interface ModelIssue {
  /** Stable machine code, e.g. `MissingConfig`, `SafetensorsOffsets`, `BaseModelMismatch`. */
  code: string;
  /** The file the issue is about, relative to the model directory. */
  file?: string;
  /** Names the file, what was expected and what was found. */
  message: string;
}

export interface ModelReport {
  ok: boolean;
  errors: ModelIssue[];
  warnings: ModelIssue[];
  detected: {
    /** Catalogue id of the base the files are. */
    baseModel?: string;
    quantization: Quantization | null;
    torchDtype?: string;
    parameterCount?: number;
  };
}

/** Collects issues while the checks run; every check appends here instead of throwing. */
export class IssueLog {
  readonly errors: ModelIssue[] = [];
  readonly warnings: ModelIssue[] = [];
  error(code: string, file: string | undefined, message: string): void {
    this.errors.push(file === undefined ? { code, message } : { code, file, message });
  }
  warn(code: string, file: string | undefined, message: string): void {
    this.warnings.push(file === undefined ? { code, message } : { code, file, message });
  }
}
