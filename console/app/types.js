// The API's answers as the console reads them (openapi.json's schemas, the fields the console uses).
// Type definitions only: TypeScript checks every module against them (`make lint`).
// The discovery and period shapes live beside their screens (discovery.js, periods.js).

/**
 * @typedef {{field: string, message: string}} ErrorDetail
 * @typedef {{code: string, message: string, details?: ErrorDetail[]}} ErrorBody
 *
 * @typedef {object} PayrollCredentials
 * @property {"firm" | "dossier"} level
 * @property {string} client_id_masked
 * @property {string} secret_generated_on
 * @property {string} secret_expires_on
 * @property {boolean} expiry_learned_from_silae
 *
 * @typedef {object} Firm
 * @property {string} firm_id
 * @property {string} name
 * @property {string[]} contact_emails
 * @property {PayrollCredentials | null} payroll
 * @property {boolean} has_cabinet_token
 * @property {string} created_at
 * @property {string} updated_at
 *
 * @typedef {object} Dossier
 * @property {string} dossier_id
 * @property {string} firm_id
 * @property {string} name
 * @property {number | null} society_id
 * @property {string | null} payroll_dossier_number
 * @property {boolean} auto_pull
 * @property {number} run_day
 * @property {boolean} auto_create_accounts
 * @property {string[]} contact_emails
 * @property {string} pending_period
 * @property {string | null} last_synced_period
 * @property {string | null} next_due
 * @property {boolean} has_societe_token
 * @property {"societe" | "cabinet" | null} myunisoft_token
 * @property {PayrollCredentials | null} payroll_override
 * @property {PayrollCredentials | null} payroll_applies
 *
 * @typedef {{firm_id: string, dossiers: Dossier[]}} DossierList
 *
 * @typedef {object} Diagnosis
 * @property {string} code
 * @property {string} message
 * @property {string} remedy
 * @property {string} kind
 * @property {Record<string, unknown>} [details]
 *
 * @typedef {object} RunEntry
 * @property {string} partner_id
 * @property {string} label
 * @property {string} status
 * @property {string} debit
 * @property {string} credit
 * @property {number | null} entry_id
 * @property {string | null} request_id
 * @property {string[]} files
 * @property {Diagnosis[]} diagnoses
 *
 * @typedef {object} Run
 * @property {string} run_id
 * @property {string} dossier_id
 * @property {string} period
 * @property {string} trigger
 * @property {string} status
 * @property {boolean} finished
 * @property {string} created_at
 * @property {string | null} started_at
 * @property {string | null} finished_at
 * @property {number} attempts
 * @property {number} posted
 * @property {number} already_posted
 * @property {number} blocked
 * @property {number} files_attached
 * @property {RunEntry[]} entries
 * @property {Diagnosis[]} diagnoses
 * @property {string[]} request_ids
 *
 * @typedef {{dossier_id: string, runs: Run[]}} RunList
 *
 * @typedef {object} RunAccepted
 * @property {string} run_id
 * @property {string} dossier_id
 * @property {string} period
 * @property {string} status
 * @property {boolean} created
 * @property {string} location
 *
 * @typedef {{name: string, type: string | null, size: number}} FileView
 *
 * @typedef {object} DryRunEntry
 * @property {string} partner_id
 * @property {string} label
 * @property {"would_post" | "blocked"} status
 * @property {string} debit
 * @property {string} credit
 * @property {FileView[]} files
 * @property {Diagnosis[]} diagnoses
 *
 * @typedef {object} DryRunReport
 * @property {string} dossier_id
 * @property {string} period
 * @property {string} status
 * @property {DryRunEntry[]} entries
 * @property {Diagnosis[]} diagnoses
 *
 * @typedef {object} SyncStatus
 * @property {string} dossier_id
 * @property {string} state
 * @property {string} summary
 * @property {boolean} auto_pull
 * @property {string} pending_period
 * @property {string | null} last_synced_period
 * @property {string | null} next_due
 * @property {{run_id: string, period: string, status: string, trigger: string | null, finished_at: string | null} | null} last_sync
 * @property {{run_id: string, period: string, status: string, location: string} | null} active_run
 * @property {Diagnosis[]} blocking
 * @property {Diagnosis[]} [findings] what the newest watch of each synced period found (PAIE-MODIFIEE…)
 * @property {{partner_id: string, label: string, debit: string, credit: string, diagnoses: Diagnosis[]}[]} entries_waiting
 *
 * @typedef {object} Check
 * @property {string} id
 * @property {string} label
 * @property {"ok" | "failed" | "skipped"} status
 * @property {string | null} code
 * @property {string} message
 * @property {string | null} remedy
 *
 * @typedef {{ok: boolean, firm_id: string, dossier_id: string | null, checks: Check[]}} ConnectionReport
 *
 * @typedef {{account_id: number, account_number: string, label: string}} MyUnisoftAccount
 *
 * @typedef {object} AccountRow
 * @property {string} account_number
 * @property {string} payroll_label
 * @property {string} state
 * @property {string} state_label
 * @property {MyUnisoftAccount | null} match
 * @property {MyUnisoftAccount[]} suggestions
 * @property {string | null} origin
 * @property {string | null} linked_at
 *
 * @typedef {{dossier_id: string, accounts: AccountRow[]}} AccountList
 *
 * @typedef {object} PayrollCredentialsIn
 * @property {string} client_id
 * @property {string} client_secret
 * @property {string} subscription_key
 * @property {string} secret_generated_on
 */

export {};
