// The API's answers about a customer's databases (/v1/databases), built by the controller
// and read by the CLI: declared once here.

/** What the owner sees of a database: never a password. */
export interface DatabaseView {
  name: string;
  customer: string;
  /** Its name inside PostgreSQL (PGDATABASE). */
  pgDatabase: string;
  user: string;
  connectionLimit: number;
  quotaMb: number;
  sizeBytes?: number;
  readOnly: boolean;
  backup?: { everySeconds: number; keep: number };
  createdAt: string;
}

/** A login to a database, shown to its owner only (create, credentials, rotate, restore --into). */
export interface DatabaseCredentials {
  database: string;
  user: string;
  password: string;
}
