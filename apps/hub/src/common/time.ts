export const addHours = (date: Date, hours: number): Date => new Date(date.getTime() + hours * 3_600_000);
export const addDays = (date: Date, days: number): Date => addHours(date, days * 24);
